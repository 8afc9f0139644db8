package dev.netra.sidecar.trace;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ExchangeSpanTest {
    @Test
    void onlyOneOfTwoRacingThreadsMayEndTheSpan() throws Exception {
        ExchangeSpan.Origin origin = new ExchangeSpan.Origin(Resource.empty(), InstrumentationScopeInfo.create("netra"));
        for (int round = 0; round < 200; round++) {
            ExchangeSpan span = new ExchangeSpan("/", SpanKind.SERVER, SpanContext.getInvalid(), SpanContext.getInvalid(),
                    1, origin, 1);
            AtomicInteger winners = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);
            Thread[] threads = new Thread[2];
            for (int i = 0; i < threads.length; i++) {
                threads[i] = Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (span.claimEnd()) {
                        winners.incrementAndGet();
                    }
                });
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(1, winners.get(), "round " + round);
        }
    }
}

package dev.netra.ffm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/** What every libc downcall of netra shares: the linker, errno capture and strerror. */
final class Libc {
    static final Linker LINKER = Linker.nativeLinker();
    /** Where a downcall leaves errno: one segment of this layout per calling thread. */
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    // An offset, not a VarHandle: spinning the handle cost ~6 ms of the first connection's wait.
    static final long ERRNO_OFFSET = CALL_STATE.byteOffset(PathElement.groupElement("errno"));

    private Libc() {
    }

    /** Links {@code name}, capturing errno into a {@link #CALL_STATE} segment passed first. */
    static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(
                () -> new IllegalStateException("libc has no " + name)),
                descriptor, Linker.Option.captureCallState("errno"));
    }

    static int errno(MemorySegment state) {
        return state.get(JAVA_INT, ERRNO_OFFSET);
    }

    /** "Connection reset by peer (errno 104)". */
    static String describe(int errno) {
        return strerror(errno) + " (errno " + errno + ")";
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Strerror.HANDLE.invokeExact(errno);
            return s.getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** Linked on the first error only: every downcall handle costs start-up time. */
    private static final class Strerror {
        static final MethodHandle HANDLE = LINKER.downcallHandle(
                LINKER.defaultLookup().find("strerror").orElseThrow(),
                FunctionDescriptor.of(ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(4096, ValueLayout.JAVA_BYTE)), JAVA_INT));
    }
}

package dev.netra.inject;

/** An object that cannot be injected; the message names the object and, for a bad annotation, its value. */
public final class InjectException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InjectException(String message) {
        super(message);
    }
}

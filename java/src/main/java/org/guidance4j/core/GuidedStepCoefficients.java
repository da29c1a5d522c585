package org.guidance4j.core;

/**
 * The scalars of {@link Ops#guidedStep}: per element,
 *
 * <pre>
 *   g   = b != null ? a + scale * (b - a) : a
 *   x0  = px * x + pg * g, clamped to [-clip, clip] when clip > 0
 *   out = qx * x + q0 * x0 + qn * std * noise
 * </pre>
 *
 * A sampler computes them once per step from its schedule (DDPM, DDIM, Euler all fit).
 */
public record GuidedStepCoefficients(
    float scale, float px, float pg, float clip, float qx, float q0, float qn) {}

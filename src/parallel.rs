//! Work on the rayon pool that logs where the caller logs.

/// [`rayon::join`] of `a` and `b`, with the caller's tracing dispatcher as
/// the default in both, so that a warning from a pool thread reaches the
/// caller's subscriber (a scoped one in tests, `-v` on the command line)
/// rather than the pool thread's own, which is none. Returns both results.
pub(crate) fn join_logged<RA: Send, RB: Send>(
    a: impl FnOnce() -> RA + Send,
    b: impl FnOnce() -> RB + Send,
) -> (RA, RB) {
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    rayon::join(
        || tracing::dispatcher::with_default(&dispatch, a),
        || tracing::dispatcher::with_default(&dispatch, b),
    )
}

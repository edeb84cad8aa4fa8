//! Small random-choice helpers shared by the generator and the extract writer.
//!
//! Every table handed to these functions is a non-empty constant of this crate, so indexing
//! cannot fail; keeping the helpers tiny keeps the per-person cost to a few RNG draws.

use rand::Rng;

/// One item of a non-empty slice, uniformly.
pub(crate) fn pick<T: Copy, R: Rng + ?Sized>(rng: &mut R, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// One item of a non-empty table of `(item, weight)`, in proportion to the weights.
pub(crate) fn weighted<T: Copy, R: Rng + ?Sized>(rng: &mut R, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut r = rng.random_range(0..total.max(1));
    for &(item, w) in items {
        if r < w {
            return item;
        }
        r -= w;
    }
    items[items.len() - 1].0
}

/// True with probability `p` (values outside 0..=1 behave as never or always).
pub(crate) fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    rng.random::<f64>() < p
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn weighted_choice_never_returns_a_zero_weight_item() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            assert_ne!(weighted(&mut rng, &[("a", 0), ("b", 3), ("c", 0)]), "a");
        }
    }
}

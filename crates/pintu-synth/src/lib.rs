//! Synthetic population.

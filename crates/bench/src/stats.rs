//! Latency distribution summary: percentiles and maximum over recorded microseconds.

/// Percentiles of one measurement, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub p50_us: u32,
    pub p99_us: u32,
    pub max_us: u32,
}

impl Latency {
    /// Summarises samples; sorts them in place (they are not needed in order afterwards).
    pub fn of(samples: &mut [u32]) -> Self {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        Latency {
            p50_us: nearest_rank(samples, 0.50),
            p99_us: nearest_rank(samples, 0.99),
            max_us: samples[samples.len() - 1],
        }
    }
}

/// Nearest-rank percentile of sorted samples: the smallest value with at least `q` of samples at or below it.
fn nearest_rank(sorted: &[u32], q: f64) -> u32 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Microseconds as milliseconds with two decimals, for tables.
pub fn ms(us: u32) -> String {
    format!("{:.2}", f64::from(us) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut v: Vec<u32> = (1..=100).rev().collect();
        let l = Latency::of(&mut v);
        assert_eq!((l.p50_us, l.p99_us, l.max_us), (50, 99, 100));
    }

    #[test]
    fn single_and_empty_samples() {
        let l = Latency::of(&mut [7]);
        assert_eq!((l.p50_us, l.p99_us, l.max_us), (7, 7, 7));
        assert_eq!(Latency::of(&mut []).max_us, 0);
    }
}

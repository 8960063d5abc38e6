//! Latency samples, percentiles and error counts of one measured run.

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// What one connection saw while measuring.
#[derive(Default)]
pub struct ConnStats {
    /// Latency in nanoseconds of every measured request, by action.
    pub latencies: BTreeMap<&'static str, Vec<u64>>,
    /// Failed requests by error code (`HTTP503`, `Throttling.User`, `io: ...`).
    pub errors: BTreeMap<String, u64>,
    /// Completed measured iterations (one circuit's path for `order`).
    pub iterations: u64,
}

impl ConnStats {
    pub fn record(&mut self, action: &'static str, nanos: u64) {
        self.latencies
            .entry(action)
            .or_insert_with(|| Vec::with_capacity(1 << 14))
            .push(nanos);
    }

    pub fn error(&mut self, code: String) {
        *self.errors.entry(code).or_insert(0) += 1;
    }

    pub fn merge(&mut self, other: ConnStats) {
        for (action, v) in other.latencies {
            self.latencies.entry(action).or_default().extend(v);
        }
        for (code, n) in other.errors {
            *self.errors.entry(code).or_insert(0) += n;
        }
        self.iterations += other.iterations;
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Default)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    pub fn of(samples: &mut [u64]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_unstable();
        let at = |q: f64| {
            let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i] as f64 / 1e6
        };
        Percentiles {
            count: samples.len() as u64,
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            p999_ms: at(0.999),
            max_ms: samples[samples.len() - 1] as f64 / 1e6,
        }
    }
}

/// The figures of one workload run.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Default)]
pub struct RunReport {
    pub name: String,
    pub target: String,
    pub connections: usize,
    pub measured_seconds: f64,
    /// Answered requests (any status) per second.
    pub requests_per_sec: f64,
    /// Successful requests per second.
    pub ok_per_sec: f64,
    /// Completed iterations per second (equals `ok_per_sec` for one-request workloads).
    pub iterations_per_sec: f64,
    pub latency: Percentiles,
    pub by_action: BTreeMap<String, Percentiles>,
    pub errors: BTreeMap<String, u64>,
    pub error_total: u64,
    /// TCP connections opened (≈ `connections` on keep-alive servers).
    pub tcp_connects: u64,
    /// CPU time of the load generator per answered request, in microseconds.
    pub client_cpu_us_per_req: f64,
    /// CPU time of the server process per answered request, in microseconds.
    pub server_cpu_us_per_req: Option<f64>,
    /// Server RSS sampled at the end of the measurement, in MB.
    pub server_rss_mb: Option<f64>,
}

impl RunReport {
    pub fn build(
        name: &str,
        target: &str,
        connections: usize,
        elapsed: Duration,
        mut all: ConnStats,
        tcp_connects: u64,
    ) -> RunReport {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let mut merged: Vec<u64> = Vec::new();
        let mut by_action = BTreeMap::new();
        for (action, v) in all.latencies.iter_mut() {
            merged.extend_from_slice(v);
            by_action.insert(action.to_string(), Percentiles::of(v));
        }
        let error_total: u64 = all.errors.values().sum();
        let answered = merged.len() as u64;
        RunReport {
            name: name.to_string(),
            target: target.to_string(),
            connections,
            measured_seconds: secs,
            requests_per_sec: answered as f64 / secs,
            ok_per_sec: answered.saturating_sub(error_total) as f64 / secs,
            iterations_per_sec: all.iterations as f64 / secs,
            latency: Percentiles::of(&mut merged),
            by_action,
            errors: all.errors,
            error_total,
            tcp_connects,
            client_cpu_us_per_req: 0.0,
            server_cpu_us_per_req: None,
            server_rss_mb: None,
        }
    }

    /// One line for the terminal.
    pub fn summary(&self) -> String {
        let errors = if self.errors.is_empty() {
            "no errors".to_string()
        } else {
            let list: Vec<String> = self
                .errors
                .iter()
                .map(|(c, n)| format!("{c}={n}"))
                .collect();
            format!("errors: {}", list.join(" "))
        };
        let iters = if (self.iterations_per_sec - self.ok_per_sec).abs() > 0.5 {
            format!(" ({:.0} iterations/s)", self.iterations_per_sec)
        } else {
            String::new()
        };
        let server = self
            .server_cpu_us_per_req
            .map(|c| format!(", server cpu {c:.0} µs/req"))
            .unwrap_or_default();
        format!(
            "{:<24} {:<9} c={:<3} {:>9.0} req/s{iters}  p50 {:.2} ms  p99 {:.2} ms  p99.9 {:.2} ms  \
             [client cpu {:.0} µs/req{server}] {errors}",
            self.name,
            self.target,
            self.connections,
            self.requests_per_sec,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.latency.p999_ms,
            self.client_cpu_us_per_req,
        )
    }
}

/// CPU time (user + system) of this process.
pub fn self_cpu() -> Duration {
    proc_cpu("self").unwrap_or_default()
}

/// CPU time (user + system) of a process, from `/proc/PID/stat`.
pub fn proc_cpu(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the `(comm)`, which may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis((utime + stime) * 10))
}

/// `VmRSS` or `VmHWM` of a process in MB (10^6 bytes), from `/proc/PID/status`.
pub fn proc_mem_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<u64> = (1..=1000).map(|i| i * 1_000_000).collect();
        let p = Percentiles::of(&mut v);
        assert_eq!(p.count, 1000);
        assert_eq!(p.p50_ms, 500.0);
        assert_eq!(p.p99_ms, 990.0);
        assert_eq!(p.p999_ms, 999.0);
        assert_eq!(p.max_ms, 1000.0);
        assert_eq!(Percentiles::of(&mut []).count, 0);
    }

    #[test]
    fn reports_rates_over_the_measured_time() {
        let mut s = ConnStats::default();
        for _ in 0..100 {
            s.record("A", 1_000_000);
        }
        s.error("Throttling.User".into());
        s.iterations = 50;
        let r = RunReport::build("w", "t", 1, Duration::from_secs(2), s, 1);
        assert_eq!(r.requests_per_sec, 50.0);
        assert_eq!(r.ok_per_sec, 49.5);
        assert_eq!(r.iterations_per_sec, 25.0);
        assert_eq!(r.errors["Throttling.User"], 1);
    }

    #[test]
    fn reads_this_process() {
        assert!(proc_mem_mb(std::process::id(), "VmRSS:").unwrap() > 0.0);
        assert!(proc_cpu("self").is_some());
    }
}

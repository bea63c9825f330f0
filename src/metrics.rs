//! Prometheus metrics in text exposition format: token outcomes, request latency per
//! route, cache hit rates. Labels have bounded cardinality: route templates, not paths.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Cache lookups that were answered from memory, and those that went to the database.
#[derive(Default)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl CacheCounters {
    pub fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }
    pub fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }
}

/// How far back the per-minute token activity reaches.
pub const ACTIVITY_MINUTES: usize = 60;

/// One minute's token requests: which minute (since the epoch), issued, refused.
#[derive(Clone, Copy, Default)]
struct Minute {
    minute: i64,
    issued: u64,
    refused: u64,
}

/// A ring of the last [`ACTIVITY_MINUTES`] minutes; a slot holding an older minute is reused.
struct Activity([Minute; ACTIVITY_MINUTES]);

/// Tokens issued and refused in one minute, as the console charts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinuteCount {
    pub start: DateTime<Utc>,
    pub issued: u64,
    pub refused: u64,
}

#[derive(Default)]
pub struct Metrics {
    /// (auth server id, grant type, outcome) → count; outcome is `issued` or an RFC 6749 error code.
    tokens: Mutex<BTreeMap<(String, String, &'static str), u64>>,
    /// Auth server id → tokens issued and refused in each of the last [`ACTIVITY_MINUTES`]
    /// minutes, for the console's dashboard.
    activity: Mutex<HashMap<String, Activity>>,
    /// (method, route template, status class) → latency histogram.
    requests: Mutex<BTreeMap<(String, String, &'static str), Histogram>>,
    pub server_cache: CacheCounters,
    pub client_cache: CacheCounters,
    /// Presented secrets answered by the keyed digest (hit) or by Argon2 (miss).
    pub secret_cache: CacheCounters,
    /// Argon2 jobs accepted by the pool (hit) and refused because it was full (miss).
    pub argon2_jobs: CacheCounters,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Grant types outside the known set are counted together, so callers cannot add labels.
fn grant_label(grant_type: &str) -> String {
    match grant_type {
        "client_credentials" | "authorization_code" | "refresh_token" | "implicit" | "password" => {
            grant_type.to_owned()
        }
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => "jwt_bearer".to_owned(),
        "urn:ietf:params:oauth:grant-type:token-exchange" => "token_exchange".to_owned(),
        "" => "none".to_owned(),
        _ => "other".to_owned(),
    }
}

impl Metrics {
    pub fn token(&self, auth_server: &str, grant_type: &str, outcome: &'static str, now: DateTime<Utc>) {
        *lock(&self.tokens).entry((auth_server.to_owned(), grant_label(grant_type), outcome)).or_default() += 1;
        let minute = now.timestamp().div_euclid(60);
        let mut activity = lock(&self.activity);
        let ring = match activity.get_mut(auth_server) {
            Some(ring) => ring,
            None => activity.entry(auth_server.to_owned()).or_insert(Activity([Minute::default(); ACTIVITY_MINUTES])),
        };
        let slot = &mut ring.0[minute.rem_euclid(ACTIVITY_MINUTES as i64) as usize];
        if slot.minute != minute {
            *slot = Minute { minute, issued: 0, refused: 0 };
        }
        if outcome == "issued" {
            slot.issued += 1;
        } else {
            slot.refused += 1;
        }
    }

    /// The auth server's token requests on this node in each of the last
    /// [`ACTIVITY_MINUTES`] minutes up to `now`, oldest first.
    pub fn activity(&self, auth_server: &str, now: DateTime<Utc>) -> Vec<MinuteCount> {
        let current = now.timestamp().div_euclid(60);
        let activity = lock(&self.activity);
        let ring = activity.get(auth_server);
        (current - ACTIVITY_MINUTES as i64 + 1..=current)
            .map(|minute| {
                let slot = ring
                    .map(|ring| ring.0[minute.rem_euclid(ACTIVITY_MINUTES as i64) as usize])
                    .filter(|slot| slot.minute == minute)
                    .unwrap_or_default();
                MinuteCount {
                    start: DateTime::from_timestamp(minute * 60, 0).unwrap_or_default(),
                    issued: slot.issued,
                    refused: slot.refused,
                }
            })
            .collect()
    }

    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let seconds = elapsed.as_secs_f64();
        let mut requests = lock(&self.requests);
        let histogram = requests.entry((method.to_owned(), route.to_owned(), class)).or_default();
        histogram.count += 1;
        histogram.sum += seconds;
        for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
    }

    /// The Prometheus text exposition (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP tessera_tokens_total Token requests by auth server, grant type and outcome (issued or the OAuth error)."
        );
        let _ = writeln!(out, "# TYPE tessera_tokens_total counter");
        for ((server, grant, outcome), count) in lock(&self.tokens).iter() {
            let _ = writeln!(
                out,
                "tessera_tokens_total{{auth_server=\"{server}\",grant_type=\"{grant}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        let _ =
            writeln!(out, "# HELP tessera_request_duration_seconds Request latency by method, route and status class.");
        let _ = writeln!(out, "# TYPE tessera_request_duration_seconds histogram");
        for ((method, route, class), h) in lock(&self.requests).iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{class}\"");
            for (bound, count) in BUCKETS.iter().zip(h.counts.iter()) {
                let _ = writeln!(out, "tessera_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(out, "tessera_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "tessera_request_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "tessera_request_duration_seconds_count{{{labels}}} {}", h.count);
        }
        let _ =
            writeln!(out, "# HELP tessera_cache_lookups_total Cache lookups answered from memory (hit) or not (miss).");
        let _ = writeln!(out, "# TYPE tessera_cache_lookups_total counter");
        for (name, counters) in
            [("auth_server", &self.server_cache), ("client", &self.client_cache), ("client_secret", &self.secret_cache)]
        {
            for (result, value) in [("hit", &counters.hits), ("miss", &counters.misses)] {
                let _ = writeln!(
                    out,
                    "tessera_cache_lookups_total{{cache=\"{name}\",result=\"{result}\"}} {}",
                    value.load(Ordering::Relaxed)
                );
            }
        }
        let _ =
            writeln!(out, "# HELP tessera_argon2_jobs_total Argon2 jobs run by the pool, or refused when it was full.");
        let _ = writeln!(out, "# TYPE tessera_argon2_jobs_total counter");
        for (result, value) in [("accepted", &self.argon2_jobs.hits), ("refused", &self.argon2_jobs.misses)] {
            let _ = writeln!(out, "tessera_argon2_jobs_total{{result=\"{result}\"}} {}", value.load(Ordering::Relaxed));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_counters_and_cumulative_histograms() {
        let metrics = Metrics::default();
        let now = Utc::now();
        metrics.token("s1", "client_credentials", "issued", now);
        metrics.token("s1", "client_credentials", "issued", now);
        metrics.token("s1", "x-made-up", "unsupported_grant_type", now);
        metrics.request("POST", "/{issuerSlug}/auth/oauth/token", 200, Duration::from_millis(3));
        metrics.client_cache.hit();
        let text = metrics.render();
        assert!(text.contains(
            "tessera_tokens_total{auth_server=\"s1\",grant_type=\"client_credentials\",outcome=\"issued\"} 2"
        ));
        assert!(text.contains("grant_type=\"other\",outcome=\"unsupported_grant_type\"} 1"));
        assert!(text.contains("le=\"0.001\"} 0"));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 1"));
        assert!(text.contains("tessera_cache_lookups_total{cache=\"client\",result=\"hit\"} 1"));
    }

    #[test]
    fn activity_counts_each_minute_of_the_last_hour_and_forgets_older_ones() {
        let metrics = Metrics::default();
        let at = |minute: i64, second: i64| {
            DateTime::from_timestamp(1_800_000_000 / 60 * 60 + minute * 60 + second, 0).unwrap()
        };
        metrics.token("s1", "client_credentials", "issued", at(0, 5));
        metrics.token("s1", "client_credentials", "invalid_client", at(0, 50));
        metrics.token("s1", "client_credentials", "issued", at(2, 0));
        metrics.token("s2", "client_credentials", "issued", at(2, 0));
        let hour = metrics.activity("s1", at(2, 30));
        assert_eq!(hour.len(), ACTIVITY_MINUTES);
        assert_eq!(hour[ACTIVITY_MINUTES - 1], MinuteCount { start: at(2, 0), issued: 1, refused: 0 });
        assert_eq!(hour[ACTIVITY_MINUTES - 2].issued + hour[ACTIVITY_MINUTES - 2].refused, 0);
        assert_eq!(hour[ACTIVITY_MINUTES - 3], MinuteCount { start: at(0, 0), issued: 1, refused: 1 });
        // An hour on, minute 0's slot is reused for minute 60 and minute 0 is gone.
        metrics.token("s1", "client_credentials", "issued", at(60, 0));
        let later = metrics.activity("s1", at(61, 0));
        assert_eq!(later.iter().map(|m| m.issued + m.refused).sum::<u64>(), 2, "minutes 2 and 60");
        assert!(metrics.activity("unknown", at(2, 0)).iter().all(|m| m.issued == 0 && m.refused == 0));
    }
}

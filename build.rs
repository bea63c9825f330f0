//! Decides whether the Postgres variants of the integration tests run.
//!
//! With `TESSERA_TEST_POSTGRES_URL` set they run; without it they are reported as ignored,
//! with the reason, so a plain `cargo test` says that they were skipped. Under CI
//! (`CI=true`) they always run, so a missing Postgres fails instead of being skipped.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tessera_pg_tests)");
    println!("cargo::rerun-if-env-changed=TESSERA_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=migrations");
    // The console's files are embedded (`http::console`): a changed or added file rebuilds.
    println!("cargo::rerun-if-changed=console");
    let postgres = std::env::var("TESSERA_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty());
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if postgres || ci {
        println!("cargo::rustc-cfg=tessera_pg_tests");
    }
}

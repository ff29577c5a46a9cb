//! Rebuild when a migration changes, so `sqlx::migrate!` embeds the current files; and mark
//! the tests that need PostgreSQL as ignored (with the reason shown in the test output) unless
//! `LOOPDESK_TEST_POSTGRES` names a server to run them against.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rustc-check-cfg=cfg(loopdesk_pg)");
    println!("cargo:rerun-if-env-changed=LOOPDESK_TEST_POSTGRES");
    if std::env::var("LOOPDESK_TEST_POSTGRES").is_ok_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=loopdesk_pg");
    }
}

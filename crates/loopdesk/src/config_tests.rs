use super::*;

#[test]
fn flags_win_over_the_file_and_the_file_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("l.toml");
    std::fs::write(&file, "bind = \"0.0.0.0:9000\"\nmax_upload_mb = 3\n").unwrap();
    let db = DbArgs {
        config: Some(file),
        ..DbArgs::default()
    };
    let cfg = Config::resolve(&db, &ServeArgs::default()).unwrap();
    assert_eq!(cfg.bind, "0.0.0.0:9000");
    assert_eq!(cfg.max_upload_bytes, 3 * 1024 * 1024);
    assert!(cfg.database_url.starts_with("sqlite://./loopdesk-data/"));
    let serve = ServeArgs {
        bind: Some("127.0.0.1:1".into()),
        ..ServeArgs::default()
    };
    assert_eq!(Config::resolve(&db, &serve).unwrap().bind, "127.0.0.1:1");
}

#[test]
fn an_unknown_key_in_the_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("l.toml");
    std::fs::write(&file, "bnd = 1\n").unwrap();
    let db = DbArgs {
        config: Some(file),
        ..DbArgs::default()
    };
    let err = format!(
        "{:#}",
        Config::resolve(&db, &ServeArgs::default()).unwrap_err()
    );
    assert!(err.contains("l.toml") && err.contains("bnd"), "{err}");
}

#[test]
fn the_example_file_parses() {
    let _: FileConfig = toml::from_str(EXAMPLE).unwrap();
}

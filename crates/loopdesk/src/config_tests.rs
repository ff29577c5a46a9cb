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

#[test]
fn debug_output_never_shows_a_password() {
    let db = DbArgs {
        database_url: Some("postgres://loopdesk:db-pass-123@10.0.0.5:5432/loopdesk".into()),
        ..DbArgs::default()
    };
    let serve = ServeArgs {
        admin_password: Some("admin-pass-456".into()),
        outbound: OutboundArgs {
            smtp_url: Some("smtps://mailer:smtp-pass-789@mail.example.com".into()),
            ..OutboundArgs::default()
        },
        ..ServeArgs::default()
    };
    let cfg = Config::resolve(&db, &serve).unwrap();
    for shown in [format!("{cfg:?}"), format!("{db:?}"), format!("{serve:?}")] {
        for secret in ["db-pass-123", "admin-pass-456", "smtp-pass-789"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
    // What is not secret still shows, and the values themselves are intact.
    assert!(format!("{cfg:?}").contains("postgres://loopdesk:***@10.0.0.5:5432/loopdesk"));
    assert_eq!(cfg.admin_password.as_deref(), Some("admin-pass-456"));
    assert_eq!(
        cfg.smtp_url.as_deref(),
        Some("smtps://mailer:smtp-pass-789@mail.example.com")
    );
}

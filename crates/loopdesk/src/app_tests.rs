#[test]
fn passwords_in_database_urls_are_hidden() {
    assert_eq!(
        super::redact("postgres://u:secret@h/db"),
        "postgres://u:***@h/db"
    );
    assert_eq!(super::redact("sqlite://./x.db"), "sqlite://./x.db");
}

#[test]
fn markup_is_escaped() {
    assert_eq!(
        super::escape(r#"<b a="1">&'</b>"#),
        "&lt;b a=&quot;1&quot;&gt;&amp;&#39;&lt;/b&gt;"
    );
}

#[test]
fn a_queued_form_is_dated_by_how_long_the_phone_held_it() {
    use chrono::{Duration, TimeZone, Utc};
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    // The phone's clock runs twelve days ahead; it held the form 30 minutes.
    let done = "2026-12-06T09:00:00Z";
    let sent = "2026-12-06T09:30:00+00:00";
    assert_eq!(
        super::client_time(done, sent, now),
        Some(now - Duration::minutes(30))
    );
    // Without the sending time, the phone's time as it is; nothing readable, none.
    assert_eq!(
        super::client_time(done, "", now),
        Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).single()
    );
    assert_eq!(super::client_time("yesterday", sent, now), None);
    // Sent "before" it was done (a clock set back meanwhile): the done time as it is.
    assert_eq!(
        super::client_time(sent, done, now),
        Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 0).single()
    );
}

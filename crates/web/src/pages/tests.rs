#[test]
fn markup_is_escaped() {
    assert_eq!(
        super::escape(r#"<b a="1">&'</b>"#),
        "&lt;b a=&quot;1&quot;&gt;&amp;&#39;&lt;/b&gt;"
    );
}

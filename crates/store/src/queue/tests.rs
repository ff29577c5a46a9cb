#[test]
fn survey_tokens_are_cut_from_what_admins_see() {
    let body = r#"{"body":"请评分：\nhttp://x.test/survey/0190ab-cd.9f3e2a\n谢谢","link":"http://x.test/survey/01-2.ab"}"#;
    let cut = super::without_survey_tokens(body);
    assert_eq!(
        cut,
        r#"{"body":"请评分：\nhttp://x.test/survey/…\n谢谢","link":"http://x.test/survey/…"}"#
    );
    assert_eq!(super::without_survey_tokens("no links"), "no links");
}

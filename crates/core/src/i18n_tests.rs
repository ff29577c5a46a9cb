use super::*;
use crate::Status;

#[test]
fn the_table_is_sorted_and_has_no_duplicate_keys() {
    for pair in TABLE.windows(2) {
        assert!(
            pair[0].0 < pair[1].0,
            "{} must come before {}",
            pair[1].0,
            pair[0].0
        );
    }
}

#[test]
fn every_status_has_a_label_in_both_languages() {
    for s in Status::ALL {
        assert!(has(s.label_key()), "{s}");
    }
    assert_eq!(t(Lang::ZhCn, "status.resolved"), "已完成待确认");
    assert_eq!(t(Lang::En, "status.in_review"), "In review");
}

#[test]
fn accept_language_picks_english_only_when_preferred() {
    assert_eq!(Lang::from_accept_language(None), Lang::ZhCn);
    assert_eq!(
        Lang::from_accept_language(Some("en-US,en;q=0.9,zh;q=0.8")),
        Lang::En
    );
    assert_eq!(
        Lang::from_accept_language(Some("zh-CN,zh;q=0.9,en;q=0.8")),
        Lang::ZhCn
    );
    assert_eq!(Lang::from_accept_language(Some("fr")), Lang::ZhCn);
}

#[test]
fn locales_name_a_language_or_none() {
    assert_eq!(Lang::from_tag("en_US.UTF-8"), Some(Lang::En));
    assert_eq!(Lang::from_tag("zh_CN.UTF-8"), Some(Lang::ZhCn));
    assert_eq!(Lang::from_tag("C.UTF-8"), None);
}

#[test]
fn placeholders_are_filled() {
    assert_eq!(
        tf(Lang::En, "error.missing", &[("field", "reason")]),
        "reason is required for this move"
    );
}

#[test]
fn every_move_a_person_makes_has_a_button_label() {
    use crate::ticket::MoveKind;
    for kind in MoveKind::ALL {
        if kind != MoveKind::AutoClose {
            assert!(has(&format!("page.move.{}", kind.as_str())), "{kind:?}");
        }
    }
}

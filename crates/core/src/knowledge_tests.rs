use super::*;

#[test]
fn writers_send_for_review_and_reviewers_publish() {
    use ArticleState::*;
    assert!(may_move(Draft, Review, false).is_ok());
    assert!(may_move(Review, Draft, false).is_ok());
    assert_eq!(
        may_move(Review, Published, false).map_err(|e| e.reason),
        Err("error.article_reviewer_only")
    );
    assert!(may_move(Review, Published, true).is_ok());
    assert!(may_move(Draft, Published, true).is_ok());
    assert!(may_move(Published, Archived, true).is_ok());
    assert!(may_move(Archived, Draft, true).is_ok());
    assert_eq!(
        may_move(Archived, Published, true).map_err(|e| e.reason),
        Err("error.article_move")
    );
    assert!(
        may_move(Published, Published, false).is_ok(),
        "no move is no move"
    );
}

#[test]
fn a_resolution_becomes_a_draft_with_the_fault_the_fix_and_the_parts() {
    let d = draft_from_resolution(
        "冷库压缩机不启动",
        "三号冷库压缩机上电无反应",
        "更换启动电容后恢复",
        &["启动电容 35µF × 1".to_owned()],
        ("现象", "处理方法", "用到的配件"),
    );
    assert_eq!(d.title, "冷库压缩机不启动");
    assert!(
        d.body.starts_with("## 现象\n\n三号冷库压缩机上电无反应"),
        "{}",
        d.body
    );
    assert!(
        d.body.contains("## 处理方法\n\n更换启动电容后恢复"),
        "{}",
        d.body
    );
    assert!(d.body.contains("- 启动电容 35µF × 1"), "{}", d.body);
    let bare = draft_from_resolution("打印机卡纸", "", "清理搓纸轮", &[], ("a", "b", "c"));
    assert!(bare.body.starts_with("## a\n\n打印机卡纸"), "{}", bare.body);
    assert!(!bare.body.contains("## c"), "no parts, no parts heading");
}

#[test]
fn the_article_about_the_fault_is_suggested_first_and_an_unrelated_one_not_at_all() {
    let articles = [
        (
            1,
            "空调不制冷的排查",
            "检查滤网是否堵塞，外机是否缺冷媒，压缩机是否启动。",
        ),
        (2, "打印机卡纸怎么办", "打开前盖取出卡住的纸，清理搓纸轮。"),
        (
            3,
            "电梯困人应急处理",
            "安抚乘客，通知维保单位，切勿强行扒门。",
        ),
    ];
    let prepared: Vec<Prepared<i32>> = articles
        .iter()
        .map(|(id, title, body)| Prepared::new(*id, title, body, (None, None)))
        .collect();
    let got = suggest(&asked("会议室空调不制冷", "开了一上午还是很热"), &prepared);
    assert_eq!(got.first().map(|(id, _)| *id), Some(1), "{got:?}");
    assert!(got.iter().all(|(id, _)| *id != 3), "{got:?}");
    assert!(suggest(&asked("你好", ""), &prepared).is_empty());
    assert!(text("", "x").is_err());
    assert_eq!(
        text(" 标题 ", "正文").map(|t| t.title),
        Ok("标题".to_owned())
    );
}

fn asked<'a>(subject: &'a str, description: &'a str) -> Asked<'a> {
    Asked {
        subject,
        description,
        category: None,
        model: None,
    }
}

#[test]
fn an_article_about_the_equipments_model_comes_before_one_about_another_model() {
    let body = "压缩机不启动：检查启动电容和过载保护器。";
    let for_model = |id, model: &str| {
        Prepared::new(
            id,
            "压缩机不启动",
            body,
            (Some("aircon".to_owned()), Some(model.to_owned())),
        )
    };
    let articles = [for_model(1, "K3"), for_model(2, "X9")];
    let request = Asked {
        model: Some("x9"),
        ..asked("冷库压缩机不启动", "")
    };
    let got = suggest(&request, &articles);
    assert_eq!(got[0].0, 2, "{got:?}");
    // The same words: the other model's article weighs half, or less than its own.
    assert!(got.len() == 1 || got[1].1 < got[0].1 * 0.6, "{got:?}");
    // Nothing known of the request: the two weigh alike.
    let blind = suggest(&asked("冷库压缩机不启动", ""), &articles);
    assert_eq!(blind.len(), 2);
    assert!((blind[0].1 - blind[1].1).abs() < 1e-12, "{blind:?}");
    // The request's category raises its article (never past 1).
    let same_category = Asked {
        category: Some("aircon"),
        ..asked("冷库压缩机不启动", "")
    };
    let raised = suggest(&same_category, &articles);
    assert!(raised[0].1 > blind[0].1 && raised[0].1 <= 1.0, "{raised:?}");
}

use super::*;
use crate::knowledge::Readable;
use crate::ticket::Actor;
use crate::{CustomerId, Role, Roles, UserId};

fn words(s: &[&str]) -> Vec<String> {
    s.iter().map(|w| (*w).to_owned()).collect()
}

fn holds(doc: &Weighted, query: &str) -> bool {
    let q = query_words(query);
    !q.is_empty()
        && q.iter()
            .all(|w| doc.title.contains(w) || doc.body.contains(w) || doc.internal.contains(w))
}

#[test]
fn chinese_is_cut_into_words_and_particles_are_not_asked_for() {
    assert_eq!(query_words("空调不制冷"), words(&["空调", "制冷"]));
    let doc = document_words(&["空调开机后制冷效果差"], &[], &[]);
    assert!(holds(&doc, "空调不制冷"), "{doc:?}");
    assert!(!holds(&doc, "冰箱不制冷"));
    // Search mode: a long word also yields its dictionary parts.
    let doc = document_words(&["中国科学院的中央空调"], &[], &[]);
    assert!(holds(&doc, "科学院"), "{doc:?}");
    assert!(holds(&doc, "空调"), "{doc:?}");
}

#[test]
fn unknown_names_fall_apart_the_same_way_in_document_and_query() {
    // A name jieba knows is a word; one it does not know is its characters.
    let doc = document_words(&["联系人 欧阳震华"], &[], &[]);
    assert!(holds(&doc, "欧阳震华"), "{doc:?}");
    let doc = document_words(&["联系人 庞晓柯"], &[], &[]);
    assert!(holds(&doc, "庞晓柯"), "{doc:?}");
    assert!(holds(&doc, "晓柯"), "{doc:?}");
    assert!(!holds(&doc, "晓燕"), "{doc:?}");
}

#[test]
fn latin_words_numbers_and_serials_match_as_typed() {
    let doc = document_words(
        &["WO-20261204-00017 Carrier 30XA-0502"],
        &["SN: CX9-77A1; mail li.lei@Example.com"],
        &[],
    );
    for q in [
        "wo-20261204-00017",
        "WO-20261204-00017",
        "20261204",
        "carrier",
        "30xa-0502",
        "cx9-77a1",
        "LI.LEI@example.com",
        "ＣＡＲＲＩＥＲ",
    ] {
        assert!(holds(&doc, q), "{q}: {doc:?}");
    }
    assert!(!holds(&doc, "daikin"));
    assert!(!holds(&doc, "20261205"));
}

#[test]
fn a_phone_in_any_spelling_is_one_number() {
    for written in [
        "电话 138-0013-8000",
        "电话13800138000",
        "+86 138 0013 8000",
        "0086-13800138000",
        "tel (+86)13800138000",
    ] {
        let doc = document_words(&[], &[written], &[]);
        for asked in [
            "13800138000",
            "138-0013-8000",
            "+86 13800138000",
            "138 0013 8000",
        ] {
            assert!(holds(&doc, asked), "{written} / {asked}: {doc:?}");
        }
        assert!(!holds(&doc, "13900139000"), "{written}");
    }
    // A landline with its area code.
    let doc = document_words(&[], &["(010) 6552-8899"], &[]);
    assert!(holds(&doc, "010-65528899"), "{doc:?}");
    // A group of a written number is a word of its own.
    let doc = document_words(&[], &["138-0013-8000"], &[]);
    assert!(holds(&doc, "8000"), "{doc:?}");
}

#[test]
fn punctuation_and_wildcards_are_plain_characters() {
    assert!(query_words("%").is_empty());
    assert!(query_words("  ！，。 ").is_empty());
    assert!(query_words("的了").is_empty());
    assert_eq!(query_words("100%_\\'\""), words(&["100"]));
    assert_eq!(query_words("a_b"), words(&["a", "b"]));
    assert_eq!(query_words("空调 空调"), words(&["空调"]));
}

#[test]
fn document_words_keep_repeats_and_weights() {
    let doc = document_words(&["空调"], &["空调 空调"], &["内部"]);
    assert_eq!(doc.title, words(&["空调"]));
    assert_eq!(doc.body, words(&["空调", "空调"]));
    assert_eq!(doc.internal, words(&["内部"]));
    assert_eq!(doc.len(), 4);
}

#[test]
fn highlight_marks_words_and_escapes_the_rest() {
    let q = query_words("空调 制冷");
    let s = highlight("<b>三楼</b> 空调 & 不制冷", &q, 100).unwrap_or_default();
    assert_eq!(
        s,
        "&lt;b&gt;三楼&lt;/b&gt; <mark>空调</mark> &amp; 不<mark>制冷</mark>"
    );
    assert_eq!(highlight("毫不相干", &q, 100), None);
    // Latin words match whole words only, in any case.
    let q = query_words("com");
    let s = highlight("computer.COM", &q, 100).unwrap_or_default();
    assert_eq!(s, "computer.<mark>COM</mark>");
}

#[test]
fn highlight_shows_a_window_around_the_first_match() {
    let text = format!("{}空调{}", "甲".repeat(200), "乙".repeat(200));
    let s = highlight(&text, &query_words("空调"), 40).unwrap_or_default();
    assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
    assert!(s.contains("<mark>空调</mark>"), "{s}");
    assert_eq!(s.chars().filter(|c| *c == '甲' || *c == '乙').count(), 38);
}

#[test]
fn highlight_finds_a_phone_across_its_dashes() {
    let q = query_words("+86 13800138000");
    let s = highlight("请拨 138-0013-8000 联系", &q, 100).unwrap_or_default();
    assert_eq!(s, "请拨 <mark>138-0013-8000</mark> 联系");
    assert_eq!(title_html("a<b", &query_words("a")), "<mark>a</mark>&lt;b");
}

fn user(roles: &[Role], customer: Option<CustomerId>) -> Actor {
    Actor::User {
        id: UserId::new(),
        roles: roles.iter().copied().collect::<Roles>(),
        customer_id: customer,
        region_id: None,
    }
}

#[test]
fn the_scope_follows_the_lists() {
    let agent = SearchScope::of(&user(&[Role::Agent], None));
    assert!(agent.tickets.all && agent.internal && agent.customers);
    assert_eq!(agent.assets, Some(None));
    assert_eq!(agent.kinds(&[]), Kind::ALL.to_vec());
    assert_eq!(agent.kinds(&[Kind::Article]), vec![Kind::Article]);
    assert_eq!(agent.articles, Readable::All);

    let own = CustomerId::new();
    let customer = SearchScope::of(&user(&[Role::Customer], Some(own)));
    assert_eq!(customer.tickets.customer, Some(own));
    assert!(!customer.tickets.all && !customer.internal && !customer.customers);
    assert_eq!(customer.assets, Some(Some(own)));
    assert_eq!(
        customer.kinds(&[]),
        vec![Kind::Ticket, Kind::Asset, Kind::Article]
    );
    assert_eq!(customer.articles, Readable::PublishedPublic);

    let engineer = SearchScope::of(&user(&[Role::Engineer], None));
    assert!(engineer.tickets.engineer.is_some() && !engineer.tickets.all);
    assert!(engineer.internal && !engineer.customers);
    assert_eq!(engineer.assets, Some(None));

    let manager = SearchScope::of(&user(&[Role::Manager], None));
    assert_eq!(manager.articles, Readable::Published);
}

#[test]
fn an_article_is_found_by_its_title_body_and_subject_and_shown_without_markdown() {
    let a = ArticleText {
        title: "压缩机不启动的排查".into(),
        body: "## 现象\n\n空调开机后**压缩机**不转。\n\n## 处理\n\n- 更换启动电容".into(),
        about: vec!["HVAC".into(), "X9".into()],
    };
    let w = a.words();
    assert!(w.title.iter().any(|x| x == "压缩机"));
    assert!(w.body.iter().any(|x| x == "电容"));
    assert!(w.body.iter().any(|x| x == "x9"), "the model: {:?}", w.body);
    let snippet = a.snippet_html(&query_words("电容"), false);
    assert!(snippet.contains("<mark>电容</mark>"), "{snippet}");
    assert!(
        !snippet.contains('#') && !snippet.contains("**"),
        "{snippet}"
    );
}

#[test]
fn kinds_have_one_spelling() {
    for k in Kind::ALL {
        assert_eq!(Kind::parse(k.as_str()), Some(k));
    }
    assert_eq!(Kind::parse("tickets"), None);
}

#[test]
fn a_ticket_document_weighs_its_parts_and_keeps_notes_apart() {
    let t = TicketText {
        number: "WO-20261204-00017".into(),
        subject: "三楼空调不制冷".into(),
        description: "开机后吹热风".into(),
        customer: Some("华润置地".into()),
        contact: Some("庞晓柯".into()),
        phone: Some("138-0013-8000".into()),
        replies: vec!["已联系客户".into()],
        resolutions: vec!["更换压缩机电容".into()],
        notes: vec!["客户欠费 注意".into()],
        merged: vec!["WO-20261204-00019".into()],
    };
    let w = t.words();
    assert!(
        w.body.contains(&"00019".to_owned()),
        "a merged duplicate's number"
    );
    assert!(w.title.contains(&"空调".to_owned()) && w.title.contains(&"00017".to_owned()));
    assert!(w.body.contains(&"13800138000".to_owned()));
    assert!(w.body.contains(&"电容".to_owned()) && !w.body.contains(&"欠费".to_owned()));
    assert!(w.internal.contains(&"欠费".to_owned()));

    let q = query_words("电容");
    assert_eq!(t.snippet_html(&q, false), "更换压缩机<mark>电容</mark>");
    // A note is shown to staff only; to others the opening of the description.
    let q = query_words("欠费");
    assert_eq!(t.snippet_html(&q, true), "客户<mark>欠费</mark> 注意");
    assert_eq!(t.snippet_html(&q, false), "开机后吹热风");
    assert_eq!(
        t.title_html(&query_words("空调")),
        "三楼<mark>空调</mark>不制冷"
    );
    let q = query_words("+86 13800138000");
    assert_eq!(
        t.snippet_html(&q, false),
        "华润置地 · 庞晓柯 · <mark>138-0013-8000</mark>"
    );
}

#[test]
fn words_in_the_title_weigh_more_than_words_in_the_body() {
    assert_eq!(relevance(2, 2), 1.0);
    assert_eq!(relevance(2, 0), 1.0 / TITLE_WEIGHT);
    assert!(relevance(2, 1) > relevance(2, 0));
    assert!(relevance(2, 2) > relevance(2, 1));
    // One title word of one beats one of three: the share counts, not the number.
    assert!(relevance(1, 1) > relevance(3, 1));
    // Nothing asked, nothing relevant; a count past the words is the words.
    assert_eq!(relevance(0, 0), 0.0);
    assert_eq!(relevance(2, 5), 1.0);
}

#[test]
fn a_title_holds_the_words_its_document_was_indexed_with() {
    let q = query_words("空调 不制冷");
    assert_eq!(in_title(&["WO-1", "中央空调不制冷"], &q), 2);
    assert_eq!(in_title(&["WO-1", "空调漏水"], &q), 1);
    assert_eq!(in_title(&["WO-1", "冷柜报警"], &q), 0);
    // The number is part of the title.
    assert_eq!(
        in_title(&["WO-20261206-00001", ""], &query_words("00001")),
        1
    );
}

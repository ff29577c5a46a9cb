use super::classifier::SplitMix;
use super::features::features;
use super::train::{accuracy, auc, judge, macro_f1, stratified_split, train};
use super::*;

/// Requests of three faults in many phrasings, and a share of them mislabelled (`noise`, out
/// of 100), as a service desk's history is.
fn history(n: usize, noise: u64) -> Vec<Example> {
    let kinds: [(&str, &[&str], &[&str]); 3] = [
        (
            "aircon",
            &["空调", "中央空调", "空调外机", "风机盘管"],
            &[
                "不制冷",
                "漏水",
                "制热效果差",
                "噪音很大",
                "显示E4故障码",
                "出风口有异味",
            ],
        ),
        (
            "elevator",
            &["电梯", "货梯", "扶梯", "2号梯"],
            &[
                "困人",
                "异响",
                "门关不上",
                "停在三楼不动",
                "按钮失灵",
                "平层不准",
            ],
        ),
        (
            "printer",
            &["打印机", "复印机", "一体机", "惠普打印机"],
            &[
                "卡纸",
                "打印有黑线",
                "连不上网络",
                "缺墨",
                "扫描不了",
                "报错无法打印",
            ],
        ),
    ];
    let places = [
        "三楼会议室",
        "财务室",
        "一楼大厅",
        "仓库",
        "总经理办公室",
        "B座",
    ];
    let tails = ["麻烦尽快处理", "请派人来看看", "", "谢谢", "已经两天了"];
    let mut rng = SplitMix(7);
    let mut pick = |len: usize| (rng.next() % len as u64) as usize;
    (0..n)
        .map(|i| {
            let (label, things, faults) = kinds[i % 3];
            let thing = things[pick(things.len())];
            let fault = faults[pick(faults.len())];
            let place = places[pick(places.len())];
            let tail = tails[pick(tails.len())];
            let label = if (pick(100) as u64) < noise {
                kinds[(i + 1) % 3].0
            } else {
                label
            };
            Example {
                features: features(
                    &format!("{thing}{fault}"),
                    &format!("{place}的{thing}{fault}，{tail}"),
                ),
                label: label.to_owned(),
            }
        })
        .collect()
}

#[test]
fn a_model_learns_the_faults_and_says_which_words_told_it() {
    let trained = match train(history(600, 0), &Options::default()) {
        Ok(t) => t,
        Err(e) => panic!("{e:?}"),
    };
    assert_eq!(trained.trained_on, 600);
    assert_eq!(trained.classes, 3);
    assert_eq!(trained.holdout.n, 120);
    assert!(trained.holdout.accuracy > 0.95, "{:?}", trained.holdout);
    assert!(trained.holdout.macro_f1 > 0.95, "{:?}", trained.holdout);

    // Words it never saw together, and a model name it never saw at all.
    let s = trained
        .model
        .suggest(&features("食堂的空调坏了", "XK-300型 一直在滴水"), 3);
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].class, "aircon");
    assert!(
        s[0].words.iter().any(|w| w.contains("空调")),
        "{:?}",
        s[0].words
    );
    assert!(s.windows(2).all(|w| w[0].confidence >= w[1].confidence));
    let sum: f64 = s.iter().map(|x| x.confidence).sum();
    assert!((sum - 1.0).abs() < 1e-6, "{sum}");
    assert_eq!(
        trained.model.suggest(&features("电梯困人了", ""), 1)[0].class,
        "elevator"
    );
}

#[test]
fn confidences_are_calibrated_on_the_held_out_fifth() {
    // A fifth of the labels are wrong: a confidence near 1 everywhere would be a lie.
    let trained = match train(history(900, 20), &Options::default()) {
        Ok(t) => t,
        Err(e) => panic!("{e:?}"),
    };
    let (_, test) = stratified_split(history(900, 20), 0.2);
    let mean_top: f64 = test
        .iter()
        .map(|e| trained.model.suggest(&e.features, 1)[0].confidence)
        .sum::<f64>()
        / test.len() as f64;
    let acc = trained.holdout.accuracy;
    assert!(acc > 0.6 && acc < 0.95, "{acc}");
    assert!(
        (mean_top - acc).abs() < 0.12,
        "mean confidence {mean_top} vs accuracy {acc}"
    );
}

#[test]
fn too_few_examples_or_one_class_train_nothing() {
    let few = history(MIN_EXAMPLES - 1, 0);
    assert_eq!(
        train(few, &Options::default()).err(),
        Some(TrainError::TooFew {
            have: MIN_EXAMPLES - 1,
            need: MIN_EXAMPLES
        })
    );
    let mut same = history(60, 0);
    for e in &mut same {
        e.label = "aircon".into();
    }
    assert_eq!(
        train(same, &Options::default()).err(),
        Some(TrainError::OneClass)
    );
}

#[test]
fn a_model_survives_its_bytes_and_refuses_anything_else() {
    let model = Classifier::train(&history(120, 0), &Options::default());
    let bytes = model.to_bytes();
    let back = Classifier::from_bytes(&bytes);
    assert_eq!(back.as_ref(), Some(&model));
    assert!(Classifier::from_bytes(&bytes[..bytes.len() - 1]).is_none());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Classifier::from_bytes(&longer).is_none());
    assert!(Classifier::from_bytes(b"not a model").is_none());
    // A length field claiming more than there is reads as nothing, without allocating it.
    let mut huge = bytes[..18].to_vec();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(Classifier::from_bytes(&huge).is_none());
}

#[test]
fn the_split_keeps_each_class_in_proportion_and_in_training() {
    let mut examples = history(100, 0);
    examples.push(Example {
        features: vec!["x".into()],
        label: "rare".into(),
    });
    let (train, test) = stratified_split(examples, 0.2);
    assert_eq!(train.len() + test.len(), 101);
    assert!(train.iter().any(|e| e.label == "rare"));
    for class in ["aircon", "elevator", "printer"] {
        let held = test.iter().filter(|e| e.label == class).count();
        assert!((6..=7).contains(&held), "{class}: {held}");
    }
}

#[test]
fn scores_agree_with_their_definitions() {
    // scikit-learn's documented example of f1_score(average="macro"): 0.2666…
    let truth = ["0", "1", "2", "0", "1", "2"];
    let guess = ["0", "2", "1", "0", "0", "1"];
    assert!((macro_f1(&truth, &guess) - 0.266_666_666_7).abs() < 1e-9);
    assert!((accuracy(&truth, &guess) - 2.0 / 6.0).abs() < 1e-12);
    assert_eq!(accuracy(&[], &[]), 0.0);
    let model = Classifier::train(&history(90, 0), &Options::default());
    let h = judge(&model, &history(30, 0));
    assert_eq!(h.n, 30);
}

#[test]
fn models_are_trained_again_each_night_once() {
    use super::train::retrain_due;
    use chrono::{Duration, TimeZone, Utc};
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 19, 0, 0).unwrap();
    assert!(retrain_due(None, now, 3));
    assert!(!retrain_due(None, now, 12), "daytime: not now");
    assert!(
        !retrain_due(Some(now - Duration::hours(2)), now, 3),
        "trained tonight"
    );
    assert!(retrain_due(Some(now - Duration::hours(24)), now, 2));
    assert!(!retrain_due(Some(now - Duration::hours(24)), now, 5));
}

#[test]
fn auc_counts_ordered_pairs_and_ties_by_half() {
    assert_eq!(
        auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
        0.75
    );
    assert_eq!(auc(&[0.5, 0.5], &[true, false]), 0.5);
    assert_eq!(auc(&[0.9, 0.1], &[true, false]), 1.0);
    assert_eq!(auc(&[0.9, 0.1], &[true, true]), 0.5);
}

#[test]
fn the_model_sets_a_category_only_when_turned_on_and_sure_enough() {
    use super::assess::{auto_category, auto_threshold};
    let s = |class: &str, confidence: f64| super::Suggestion {
        class: class.into(),
        confidence,
        words: Vec::new(),
    };
    let sure = [s("elevator", 0.9), s("aircon", 0.05)];
    assert_eq!(auto_category(&sure, None), None, "off by default");
    assert_eq!(
        auto_category(&sure, Some(0.8)).map(|x| x.class.as_str()),
        Some("elevator")
    );
    assert_eq!(auto_category(&sure, Some(0.95)), None);
    assert_eq!(auto_category(&[], Some(0.5)), None);
    assert_eq!(auto_threshold(0.5), Ok(0.5));
    assert_eq!(auto_threshold(1.0), Ok(1.0));
    for bad in [0.49, 1.01, f64::NAN, -1.0] {
        assert_eq!(
            auto_threshold(bad).map_err(|e| e.field),
            Err("auto_category_above")
        );
    }
}

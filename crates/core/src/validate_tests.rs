use super::*;

#[test]
fn chinese_mobiles_are_normalised_to_eleven_digits() {
    for input in [
        "13800138000",
        "138 0013 8000",
        "+86 138-0013-8000",
        "0086 13800138000",
    ] {
        assert_eq!(
            phone("phone", input),
            Ok("13800138000".to_owned()),
            "{input}"
        );
    }
}

#[test]
fn landlines_keep_their_area_code_with_a_leading_zero() {
    assert_eq!(
        phone("phone", "021-6888 1234"),
        Ok("02168881234".to_owned())
    );
    assert_eq!(
        phone("phone", "+86 21 6888 1234"),
        Ok("02168881234".to_owned())
    );
    assert_eq!(
        phone("phone", "(010) 8888-1234"),
        Ok("01088881234".to_owned())
    );
}

#[test]
fn foreign_numbers_become_e164() {
    assert_eq!(
        phone("phone", "+49 30 1234567"),
        Ok("+49301234567".to_owned())
    );
    assert_eq!(
        phone("phone", "0044 20 7946 0958"),
        Ok("+442079460958".to_owned())
    );
}

#[test]
fn nonsense_is_not_a_phone_number() {
    for input in [
        "",
        "12345",
        "1380013800a",
        "23800138000",
        "+0123456789",
        "138001380001234",
    ] {
        assert_eq!(
            phone("contact_phone", input),
            Err(FieldError {
                field: "contact_phone",
                reason: "error.invalid_phone"
            }),
            "{input}"
        );
    }
}

#[test]
fn text_is_trimmed_bounded_and_free_of_control_characters() {
    assert_eq!(
        required_text("subject", "  空调不制冷 ", 200),
        Ok("空调不制冷".to_owned())
    );
    assert_eq!(
        required_text("subject", "   ", 200).unwrap_err().reason,
        "error.required"
    );
    assert_eq!(
        required_text("subject", &"长".repeat(201), 200)
            .unwrap_err()
            .reason,
        "error.too_long"
    );
    assert!(required_text("subject", &"长".repeat(200), 200).is_ok());
    assert_eq!(
        required_text("subject", "a\u{0}b", 200).unwrap_err().reason,
        "error.control_characters"
    );
    assert_eq!(optional_text("note", Some(" "), 10), Ok(None));
}

#[test]
fn only_customer_contacts_speak_for_a_customer() {
    let customer: Roles = [Role::Customer].into_iter().collect();
    let agent: Roles = [Role::Agent].into_iter().collect();
    let c = Some(CustomerId::new());
    assert_eq!(user_customer_link(customer, c), Ok(()));
    assert_eq!(user_customer_link(agent, None), Ok(()));
    assert_eq!(
        user_customer_link(customer, None).unwrap_err().reason,
        "error.required"
    );
    assert_eq!(
        user_customer_link(agent, c).unwrap_err().reason,
        "error.only_for_customers"
    );
}

#[test]
fn priority_is_one_to_four() {
    assert_eq!(priority(1), Ok(1));
    assert_eq!(priority(4), Ok(4));
    assert!(priority(0).is_err());
    assert!(priority(5).is_err());
    assert!(priority(-1).is_err());
}

#[test]
fn coordinates_must_be_on_the_globe() {
    assert!(lat_lon(31.23, 121.47).is_ok());
    assert_eq!(lat_lon(91.0, 0.0).unwrap_err().field, "lat");
    assert_eq!(lat_lon(0.0, -180.5).unwrap_err().field, "lon");
    assert!(lat_lon(f64::NAN, 0.0).is_err());
}

#[test]
fn emails_usernames_and_passwords() {
    assert_eq!(
        email("email", "Li.Lei@Example.COM"),
        Ok("Li.Lei@example.com".to_owned())
    );
    assert!(email("email", "no-at-sign").is_err());
    assert!(email("email", "a@b").is_err());
    assert_eq!(username(" Zhang.San "), Ok("zhang.san".to_owned()));
    assert!(username("张三").is_err());
    assert!(username("ab").is_err());
    assert!(password("short").is_err());
    assert!(password("long enough").is_ok());
}

#[test]
fn page_sizes_are_one_to_the_maximum() {
    assert_eq!(limit(1, 500), Ok(1));
    assert_eq!(limit(500, 500), Ok(500));
    for bad in [0, -1, 501, 99_999_999] {
        assert_eq!(limit(bad, 500).unwrap_err().field, "limit", "{bad}");
    }
}

#[test]
fn a_search_reads_as_a_phone_only_when_it_is_one() {
    assert_eq!(
        phone_query(" +86 139-1234-5678 ").as_deref(),
        Some("13912345678")
    );
    assert_eq!(phone_query("139 1234 5678"), phone_query("13912345678"));
    assert_eq!(
        phone_query("静安 13912345678"),
        None,
        "words and a number are words"
    );
    assert_eq!(phone_query("1234"), None, "too short to be a number");
    assert_eq!(phone_query("12"), None);
}

#[test]
fn a_slug_is_lower_case_letters_digits_and_hyphens() {
    assert_eq!(slug(" east-2 "), Ok("east-2".to_owned()));
    for bad in [
        "",
        "East",
        "2east",
        "east-",
        "华东",
        "east_2",
        "a b",
        &"x".repeat(41),
    ] {
        assert_eq!(slug(bad).map_err(|e| e.field), Err("slug"), "{bad:?}");
    }
}

#[test]
fn a_chosen_password_is_not_one_a_guesser_tries_first() {
    for fine in [
        "correct horse battery",
        "冷库温度每天查两次",
        "Spring2026!x",
        "user-password-1",
    ] {
        assert_eq!(chosen_password("wang", fine), Ok(()), "{fine}");
    }
    let reason = |name: &str, p: &str| chosen_password(name, p).map_err(|e| e.reason);
    assert_eq!(reason("wang", "short"), Err("error.password_length"));
    for common in [
        "Password123",
        "12345678",
        "88888888",
        "woaini1314",
        "abcdefgh",
        "87654321",
        "zzzzzzzzzz",
    ] {
        assert_eq!(
            reason("wang", common),
            Err("error.password_common"),
            "{common}"
        );
    }
    assert_eq!(
        reason("wangwei", "WangWei-2026"),
        Err("error.password_has_username")
    );
    // A name too short to matter is not looked for.
    assert_eq!(reason("wu", "wu-lin-2026-spring"), Ok(()));
    let e = new_password("wang", "correct horse battery", "correct horse battery").unwrap_err();
    assert_eq!(
        (e.field, e.reason),
        ("new_password", "error.password_unchanged")
    );
    let e = new_password("wang", "correct horse battery", "12345678").unwrap_err();
    assert_eq!(
        (e.field, e.reason),
        ("new_password", "error.password_common")
    );
}

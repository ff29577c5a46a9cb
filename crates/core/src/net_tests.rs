use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

#[test]
fn internal_addresses_are_recognised_in_every_spelling() {
    for a in [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",
    ] {
        assert!(is_internal(ip(a)), "{a} is internal");
    }
    for a in [
        "8.8.8.8",
        "1.1.1.1",
        "172.32.0.1",
        "100.128.0.1",
        "2400:3200::1",
        "::ffff:8.8.8.8",
    ] {
        assert!(!is_internal(ip(a)), "{a} is public");
    }
}

#[test]
fn ranges_parse_contain_and_allow_internal_targets_explicitly() {
    let r: IpRange = "10.0.0.0/8".parse().unwrap();
    assert!(r.contains(ip("10.200.1.1")));
    assert!(!r.contains(ip("11.0.0.1")));
    assert!(r.contains(ip("::ffff:10.0.0.9")));
    let one: IpRange = "127.0.0.1".parse().unwrap();
    assert!(one.contains(ip("127.0.0.1")));
    assert!(!one.contains(ip("127.0.0.2")));
    let all: IpRange = "0.0.0.0/0".parse().unwrap();
    assert!(all.contains(ip("203.0.113.5")));
    let v6: IpRange = "fd00::/8".parse().unwrap();
    assert!(v6.contains(ip("fd12::1")));
    assert!(!v6.contains(ip("10.0.0.1")));
    for bad in ["", "10.0.0.0/33", "fd00::/129", "ten/8", "10.0.0.0/x"] {
        assert!(bad.parse::<IpRange>().is_err(), "{bad:?}");
    }
    assert!(!may_call(ip("127.0.0.1"), &[]));
    assert!(may_call(ip("127.0.0.1"), &[one]));
    assert!(!may_call(ip("169.254.169.254"), &[one]));
    assert!(may_call(ip("8.8.8.8"), &[]));
    assert_eq!(ranges(&["10.0.0.0/8", "::1"]).unwrap().len(), 2);
    assert!(ranges(&["10.0.0.0/8", "nope"]).is_err());
}

//! Codec tests: golden msgpack bytes (as Terraform/cty writes them), JSON cases, property round
//! trips for every type including null and unknown, and arbitrary bytes never panicking.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::{decode_json, decode_msgpack, encode_json, encode_msgpack, CodecErrorKind};
use crate::plugin::{AttributePath, Number, Type, Value};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn num(s: &str) -> Value {
    Value::Number(Number::parse(s).unwrap())
}

fn obj_type(attrs: &[(&str, Type)]) -> Type {
    Type::Object(
        attrs
            .iter()
            .map(|(k, t)| (k.to_string(), t.clone()))
            .collect(),
    )
}

/// Numbers as cty writes them, by msgpack encoding: (encoding, [(number text, msgpack hex)]).
const NUMBERS: [(&str, &[(&str, &str)]); 5] = [
    ("fixint", &[("0", "00"), ("127", "7f"), ("-1", "ff")]),
    (
        "uint 8/16/32/64",
        &[
            ("128", "cc80"),
            ("65535", "cdffff"),
            ("4294967295", "ceffffffff"),
            ("9223372036854775807", "cf7fffffffffffffff"),
        ],
    ),
    (
        "int 8/16/32/64",
        &[
            ("-33", "d0df"),
            ("-129", "d1ff7f"),
            ("-32769", "d2ffff7fff"),
            ("-9223372036854775808", "d38000000000000000"),
        ],
    ),
    ("float64", &[("1.5", "cb3ff8000000000000")]),
    (
        "decimal text",
        &[
            ("0.1", "a3302e31"),
            (
                "18446744073709551617",
                "b43138343436373434303733373039353531363137",
            ),
        ],
    ),
];

/// (name, type, value, msgpack hex) — both directions must hold.
fn golden() -> Vec<(&'static str, Type, Value, &'static str)> {
    let list_str = Type::List(Box::new(Type::String));
    vec![
        ("null string", Type::String, Value::Null, "c0"),
        ("unknown string", Type::String, Value::Unknown, "d40000"),
        (
            "unknown object",
            obj_type(&[("a", Type::String)]),
            Value::Unknown,
            "d40000",
        ),
        ("empty string", Type::String, Value::string(""), "a0"),
        (
            "hello",
            Type::String,
            Value::string("hello"),
            "a568656c6c6f",
        ),
        (
            "str8",
            Type::String,
            Value::string("x".repeat(32)),
            concat!(
                "d920",
                "7878787878787878787878787878787878787878787878787878787878787878"
            ),
        ),
        ("true", Type::Bool, Value::Bool(true), "c3"),
        ("false", Type::Bool, Value::Bool(false), "c2"),
        (
            "list",
            list_str.clone(),
            Value::List(vec![Value::string("a"), Value::Null]),
            "92a161c0",
        ),
        ("empty list", list_str.clone(), Value::List(vec![]), "90"),
        (
            "set",
            Type::Set(Box::new(Type::Number)),
            Value::Set(vec![num("1"), Value::Unknown]),
            "9201d40000",
        ),
        (
            "map",
            Type::Map(Box::new(Type::Bool)),
            Value::Map(BTreeMap::from([("k".to_string(), Value::Bool(true))])),
            "81a16bc3",
        ),
        (
            "tuple",
            Type::Tuple(vec![Type::String, Type::Number]),
            Value::Tuple(vec![Value::string("a"), num("2")]),
            "92a16102",
        ),
        (
            "object",
            obj_type(&[("a", Type::String), ("b", list_str.clone())]),
            Value::object([("a", Value::string("x")), ("b", Value::Null)]),
            "82a161a178a162c0",
        ),
        (
            "dynamic string",
            Type::Dynamic,
            Value::string("hi"),
            // [bin "\"string\"", "hi"]
            "92c40822737472696e6722a26869",
        ),
        ("dynamic null", Type::Dynamic, Value::Null, "c0"),
        ("dynamic unknown", Type::Dynamic, Value::Unknown, "d40000"),
    ]
}

#[test]
fn golden_msgpack_both_ways() {
    let numbers = NUMBERS.iter().flat_map(|(encoding, cases)| {
        cases.iter().map(move |(text, bytes)| {
            let name = format!("{encoding} {text}");
            (name, Type::Number, num(text), *bytes)
        })
    });
    let others = golden()
        .into_iter()
        .map(|(name, ty, value, bytes)| (name.to_string(), ty, value, bytes));
    for (name, ty, value, bytes) in numbers.chain(others) {
        let want = hex(bytes);
        assert_eq!(encode_msgpack(&value, &ty).unwrap(), want, "encode {name}");
        assert_eq!(decode_msgpack(&want, &ty).unwrap(), value, "decode {name}");
    }
}

#[test]
fn msgpack_reads_what_terraform_may_send() {
    // Refined unknown (ext 12, Terraform 1.6+) and other extension sizes are unknown.
    assert_eq!(
        decode_msgpack(&hex("c7030c0102ff"), &Type::String).unwrap(),
        Value::Unknown
    );
    assert_eq!(
        decode_msgpack(&hex("d50c0000"), &Type::Number).unwrap(),
        Value::Unknown
    );
    // float32, str-encoded big decimal, fixmap object with an attribute missing.
    assert_eq!(
        decode_msgpack(&hex("ca3fc00000"), &Type::Number).unwrap(),
        num("1.5")
    );
    let big = "123456789012345678901234567890.123456789";
    let mut bytes = vec![0xd9, big.len() as u8];
    bytes.extend_from_slice(big.as_bytes());
    assert_eq!(decode_msgpack(&bytes, &Type::Number).unwrap(), num(big));
    let ty = obj_type(&[("a", Type::String), ("b", Type::Bool)]);
    assert_eq!(
        decode_msgpack(&hex("81a161a178"), &ty).unwrap(),
        Value::object([("a", Value::string("x")), ("b", Value::Null)])
    );
    // Dynamic with a str type description and a nested type.
    let dynamic = decode_msgpack(
        &hex("92af5b226c697374222c22626f6f6c225d91c3"),
        &Type::Dynamic,
    )
    .unwrap();
    assert_eq!(dynamic, Value::List(vec![Value::Bool(true)]));
}

#[test]
fn msgpack_errors_carry_the_path() {
    let ty = obj_type(&[("outer", obj_type(&[("n", Type::Number)]))]);
    // {"outer": {"n": "abc"}}
    let err = decode_msgpack(&hex("81a56f75746572 81a16e a3616263"), &ty).unwrap_err();
    assert_eq!(err.path, AttributePath::attrs(["outer", "n"]));
    let err = decode_msgpack(&hex("81a178c0"), &obj_type(&[("a", Type::String)])).unwrap_err();
    assert_eq!(
        err.kind,
        CodecErrorKind::UnsupportedAttributes {
            names: vec!["x".into()]
        }
    );
    let err = encode_msgpack(
        &Value::object([("l", Value::List(vec![Value::Bool(true)]))]),
        &obj_type(&[("l", Type::List(Box::new(Type::String)))]),
    )
    .unwrap_err();
    assert_eq!(err.path, AttributePath::attrs(["l"]).index(0));
    assert!(
        decode_msgpack(&hex("a1"), &Type::String).is_err(),
        "truncated"
    );
    assert!(
        decode_msgpack(&hex("c0c0"), &Type::String).is_err(),
        "trailing bytes"
    );
    assert!(
        decode_msgpack(&hex("c1"), &Type::String).is_err(),
        "never-used marker"
    );
    assert!(
        decode_msgpack(&hex("ddffffffff"), &Type::List(Box::new(Type::String))).is_err(),
        "huge length"
    );
}

#[test]
fn nested_msgpack_lengths_cannot_multiply_reservations() {
    // 40 nested lists each claiming a million elements, in a 1 MiB message: the innermost
    // element has the wrong type, so decoding stops after every level has reserved its room.
    let depth = 40;
    let mut ty = Type::String;
    let mut bytes = Vec::new();
    for _ in 0..depth {
        ty = Type::List(Box::new(ty));
        bytes.extend_from_slice(&[0xdd, 0x00, 0x10, 0x00, 0x00]);
    }
    bytes.push(0xc3); // true, where a string belongs
    bytes.resize(1 << 20, 0xc0);
    let (result, largest) =
        crate::plugin::alloc_probe::largest_allocation_in(|| decode_msgpack(&bytes, &ty));
    assert!(result.is_err());
    assert!(
        largest <= 64 * 1024,
        "one allocation of {largest} bytes while decoding a 1 MiB message"
    );
}

#[test]
fn numbers_are_canonical_however_they_are_written() {
    assert_eq!(Number::parse("1.50").unwrap().as_str(), "1.5");
    assert_eq!(Number::parse("1e3").unwrap().as_str(), "1000");
    assert_eq!(Number::parse("-0.0").unwrap(), Number::parse("0").unwrap());
    for bad in ["", "nan", "inf", "-Infinity", "1.2.3", "0x10"] {
        assert_eq!(Number::parse(bad), None, "{bad:?}");
    }
    // A JSON number keeps every digit on its way into the value.
    let v = decode_json(b"123456789012345678901234567890.10", &Type::Number).unwrap();
    assert_eq!(v, num("123456789012345678901234567890.1"));
}

#[test]
fn json_cases() {
    let ty = obj_type(&[
        ("s", Type::String),
        ("n", Type::Number),
        ("b", Type::Bool),
        ("l", Type::List(Box::new(Type::Number))),
        ("d", Type::Dynamic),
    ]);
    let doc = br#"{"s":"x","n":123456789012345678901234567890.5,"b":true,"l":[1,2.5],"d":{"value":["a"],"type":["tuple",["string"]]}}"#;
    let v = decode_json(doc, &ty).unwrap();
    assert_eq!(v.attr("n"), &num("123456789012345678901234567890.5"));
    assert_eq!(v.attr("d"), &Value::Tuple(vec![Value::string("a")]));
    assert_eq!(encode_json(&v, &ty).unwrap(), br#"{"b":true,"d":{"value":["a"],"type":["tuple",["string"]]},"l":[1,2.5],"n":123456789012345678901234567890.5,"s":"x"}"#.to_vec());
    // Missing attributes are null; numbers and bools written as strings are accepted.
    let v = decode_json(br#"{"n":"7","b":"false"}"#, &ty).unwrap();
    assert_eq!(
        (v.attr("n"), v.attr("b"), v.attr("s")),
        (&num("7"), &Value::Bool(false), &Value::Null)
    );
    // Unknown attributes are named in name order (the JSON tree is serde_json's sorted map).
    let err = decode_json(br#"{"s":"x","zz":1,"yy":2}"#, &ty).unwrap_err();
    assert_eq!(
        err.kind,
        CodecErrorKind::UnsupportedAttributes {
            names: vec!["yy".into(), "zz".into()]
        }
    );
    let err = decode_json(br#"{"l":[1,"x"]}"#, &ty).unwrap_err();
    assert_eq!(err.path, AttributePath::attrs(["l"]).index(1));
    assert_eq!(
        encode_json(&Value::Unknown, &Type::String)
            .unwrap_err()
            .kind,
        CodecErrorKind::UnknownInJson
    );
}

// ---- properties ----

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic)
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Type::List(Box::new(t))),
            inner.clone().prop_map(|t| Type::Set(Box::new(t))),
            inner.clone().prop_map(|t| Type::Map(Box::new(t))),
            prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::Object),
            prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| crate::plugin::decimal::number_from_f64(f).unwrap()),
        ("-?[1-9][0-9]{0,40}", "[0-9]{0,20}[1-9]")
            .prop_map(|(i, f)| canonical(&format!("{i}.{f}"))),
        "-?[1-9][0-9]{19,45}".prop_map(|i| canonical(&i)),
    ]
}

/// Numbers decode to their canonical text, so generate them canonical.
fn canonical(text: &str) -> Number {
    crate::plugin::decimal::number_from_text(text).unwrap()
}

/// A known, non-dynamic value of `ty` (dynamic parts get a concrete string/number/bool/list).
fn arb_value(ty: &Type, allow_unknown: bool) -> BoxedStrategy<Value> {
    let special: BoxedStrategy<Value> = if allow_unknown {
        prop_oneof![Just(Value::Null), Just(Value::Unknown)].boxed()
    } else {
        Just(Value::Null).boxed()
    };
    let known: BoxedStrategy<Value> = match ty {
        Type::String => ".{0,40}".prop_map(Value::String).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Dynamic => prop_oneof![
            ".{0,10}".prop_map(Value::String),
            arb_number().prop_map(Value::Number),
            prop::collection::vec(any::<bool>().prop_map(Value::Bool), 1..3).prop_map(Value::List),
        ]
        .boxed(),
        Type::List(t) => prop::collection::vec(arb_value(t, allow_unknown), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(t) => prop::collection::vec(arb_value(t, allow_unknown), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(t) => prop::collection::btree_map(".{0,6}", arb_value(t, allow_unknown), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attrs) => {
            let parts: Vec<(String, BoxedStrategy<Value>)> = attrs
                .iter()
                .map(|(k, t)| (k.clone(), arb_value(t, allow_unknown)))
                .collect();
            let (names, strategies): (Vec<String>, Vec<BoxedStrategy<Value>>) =
                parts.into_iter().unzip();
            strategies
                .prop_map(move |vals| Value::Object(names.iter().cloned().zip(vals).collect()))
                .boxed()
        }
        Type::Tuple(elems) => {
            let strategies: Vec<BoxedStrategy<Value>> =
                elems.iter().map(|t| arb_value(t, allow_unknown)).collect();
            strategies.prop_map(Value::Tuple).boxed()
        }
    };
    prop_oneof![1 => special, 6 => known].boxed()
}

fn typed_value(allow_unknown: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |ty| {
        let v = arb_value(&ty, allow_unknown);
        (Just(ty), v)
    })
}

/// Cases proptest once shrank to: numbers beyond f64 precision inside dynamic maps and tuples.
#[test]
fn big_numbers_in_dynamic_maps_and_tuples_round_trip() {
    let big = |text: &str| Value::Number(canonical(text));
    let cases = [
        (
            Type::Map(Box::new(Type::Dynamic)),
            Value::Map(BTreeMap::from([(
                "`\r\u{7f}\"".to_string(),
                big("219219119711089270421937148731668552683305"),
            )])),
        ),
        (
            Type::Map(Box::new(Type::Tuple(vec![Type::Number]))),
            Value::Map(BTreeMap::from([(
                String::new(),
                Value::Tuple(vec![big("19079873118137352540304412476372950274812")]),
            )])),
        ),
    ];
    for (ty, value) in cases {
        let bytes = encode_msgpack(&value, &ty).unwrap();
        assert_eq!(
            decode_msgpack(&bytes, &ty).unwrap(),
            value,
            "msgpack {ty:?}"
        );
        let bytes = encode_json(&value, &ty).unwrap();
        assert_eq!(decode_json(&bytes, &ty).unwrap(), value, "json {ty:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // Regressions live as named tests above, not as a proptest-regressions/ folder.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn msgpack_round_trips((ty, value) in typed_value(true)) {
        let bytes = encode_msgpack(&value, &ty).unwrap();
        prop_assert_eq!(decode_msgpack(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn json_round_trips((ty, value) in typed_value(false)) {
        let bytes = encode_json(&value, &ty).unwrap();
        prop_assert_eq!(decode_json(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn arbitrary_bytes_never_panic_msgpack(ty in arb_type(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_msgpack(&bytes, &ty);
        let _ = decode_msgpack(&bytes, &Type::Dynamic);
    }

    #[test]
    fn arbitrary_bytes_never_panic_json(ty in arb_type(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_json(&bytes, &ty);
        let _ = decode_json(&bytes, &Type::Dynamic);
    }

    #[test]
    fn arbitrary_json_text_never_panics(ty in arb_type(), text in r#"[\[\]{}",:0-9a-z.\-\\ ]{0,48}"#) {
        let _ = decode_json(text.as_bytes(), &ty);
    }

    #[test]
    fn garbage_is_an_error(bytes in prop::collection::vec(any::<u8>(), 1..32)) {
        // 0xc1 is never valid msgpack; a lone '}' is never valid JSON.
        let mut mp = vec![0xc1];
        mp.extend_from_slice(&bytes);
        prop_assert!(decode_msgpack(&mp, &Type::String).is_err());
        let mut js = b"}".to_vec();
        js.extend_from_slice(&bytes);
        prop_assert!(decode_json(&js, &Type::String).is_err());
    }
}

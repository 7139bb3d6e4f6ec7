//! Property tests: every parser of user or Graph input takes arbitrary text without panicking.

use proptest::prelude::*;

use crate::graph::GraphError;
use crate::plugin::{Diagnostics, Value};
use crate::provider::guid::TenantId;
use crate::provider::private_state::LastWrite;
use crate::provider::provider_config::validate;
use crate::provider::timeouts::parse_go_duration;

proptest! {
    #[test]
    fn durations_never_panic(text in "\\PC{0,24}|[0-9.hmsnuµ+-]{0,16}") {
        let _ = parse_go_duration(&text);
    }

    #[test]
    fn whole_second_durations_round_trip(h in 0u64..1000, m in 0u64..60, s in 0u64..60) {
        let text = format!("{h}h{m}m{s}s");
        prop_assert_eq!(
            parse_go_duration(&text).unwrap().as_secs(),
            h * 3600 + m * 60 + s
        );
    }

    #[test]
    fn guid_checks_never_panic(text in "\\PC{0,64}") {
        if let Ok(t) = TenantId::parse(&text) {
            prop_assert_eq!(t.as_str(), text.as_str());
        }
    }

    #[test]
    fn generated_guids_are_accepted(bytes in proptest::array::uniform16(any::<u8>())) {
        let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
        let guid = format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]);
        prop_assert!(TenantId::parse(&guid).is_ok());
    }

    #[test]
    fn endpoints_never_panic(url in "(https?://)?\\PC{0,40}") {
        let mut diags = Diagnostics::new();
        validate(&Value::object([("graph_endpoint", Value::string(url))]), &mut diags);
    }

    #[test]
    fn aadsts_extraction_never_panics(text in "\\PC{0,40}(AADSTS[0-9]{0,8})?\\PC{0,10}") {
        let err = GraphError::Token { error: "invalid_client".into(), description: text };
        if let Some(code) = err.aadsts_code() {
            prop_assert!(code.starts_with("AADSTS") && code.len() > 6);
        }
    }

    #[test]
    fn private_state_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = LastWrite::decode(&bytes);
    }
}

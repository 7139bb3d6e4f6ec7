//! The named plan behaviours of the resource's attributes, with the descriptions docs show.
//! plan.rs implements them; this file is the one list of which attribute has which.

/// A plan behaviour of one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanModifier {
    /// A change of value destroys the object and creates a new one.
    RequiresReplace,
    /// Values that differ only in letter case are the same value.
    CaseInsensitiveGuid,
    /// A computed value keeps the prior state's value instead of showing "known after apply".
    UseStateForUnknown,
    /// An optional+computed value left out of the configuration keeps what Graph holds.
    KeepStateWhenUnset,
}

impl PlanModifier {
    pub fn description(self) -> &'static str {
        match self {
            PlanModifier::RequiresReplace => {
                "Changing this value destroys the policy and creates a new one for the new value."
            }
            PlanModifier::CaseInsensitiveGuid => {
                "Compared case-insensitively: changing only the letter case is not a change, and \
                 state keeps your spelling even though Graph answers in lower case."
            }
            PlanModifier::UseStateForUnknown => {
                "Known at plan time: it keeps its value from state across updates."
            }
            PlanModifier::KeepStateWhenUnset => {
                "When removed from the configuration, the value in Microsoft Graph is left as it \
                 is and no change is planned."
            }
        }
    }
}

/// The modifiers of resource attribute `name` (top-level attributes; nested ones have none).
pub fn for_attribute(name: &str) -> &'static [PlanModifier] {
    match name {
        "tenant_id" => &[
            PlanModifier::RequiresReplace,
            PlanModifier::CaseInsensitiveGuid,
        ],
        "id" => &[PlanModifier::UseStateForUnknown],
        "display_name" => &[PlanModifier::KeepStateWhenUnset],
        _ => &[],
    }
}

/// Sentences appended to an attribute's description so docs say how it plans.
pub fn describe(name: &str) -> String {
    for_attribute(name)
        .iter()
        .map(|m| m.description())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_id_forces_replacement_and_ignores_case() {
        assert_eq!(
            for_attribute("tenant_id"),
            [
                PlanModifier::RequiresReplace,
                PlanModifier::CaseInsensitiveGuid
            ]
        );
        assert!(describe("tenant_id").contains("destroys the policy"));
    }

    #[test]
    fn every_modifier_has_a_sentence() {
        for m in [
            PlanModifier::RequiresReplace,
            PlanModifier::CaseInsensitiveGuid,
            PlanModifier::UseStateForUnknown,
            PlanModifier::KeepStateWhenUnset,
        ] {
            assert!(m.description().ends_with('.'));
        }
        assert_eq!(describe("user_sync_inbound"), "");
    }
}

//! The named plan behaviours an attribute can have, with the sentences docs show for them.
//! The declarative descriptions (declarative/) say which attribute has which; the declarative
//! plan and diff implement them.

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
    /// Removing it from the configuration sends `null`: the partner inherits the default
    /// settings again. While unset, its value in Graph is not managed (no drift shown).
    NullWhenRemoved,
    /// Removing it from the configuration stops managing it; Graph's value stays as it is.
    LeftWhenRemoved,
}

impl PlanModifier {
    /// The docs sentence; `noun` names the object ("policy", "partner configuration").
    pub fn description(self, noun: &str) -> String {
        match self {
            PlanModifier::RequiresReplace => format!(
                "Changing this value destroys the {noun} and creates a new one for the new value."
            ),
            PlanModifier::CaseInsensitiveGuid => {
                "Compared case-insensitively: changing only the letter case is not a change, and \
                 state keeps your spelling even though Graph answers in lower case."
                    .into()
            }
            PlanModifier::UseStateForUnknown => {
                "Known at plan time: it keeps its value from state across updates.".into()
            }
            PlanModifier::KeepStateWhenUnset => {
                "When removed from the configuration, the value in Microsoft Graph is left as it \
                 is and no change is planned."
                    .into()
            }
            PlanModifier::NullWhenRemoved => {
                "Removing it from the configuration sets it to null in Microsoft Graph, so this \
                 partner inherits it from the default settings again. While it is not in the \
                 configuration, its value in Microsoft Graph is not managed and not shown as \
                 drift."
                    .into()
            }
            PlanModifier::LeftWhenRemoved => {
                "Removing it from the configuration stops managing it: the value in Microsoft \
                 Graph is left as it is. While it is not in the configuration, its value is not \
                 shown as drift."
                    .into()
            }
        }
    }
}

/// Sentences appended to an attribute's description so docs say how it plans.
pub fn describe(modifiers: &[PlanModifier], noun: &str) -> String {
    modifiers
        .iter()
        .map(|m| m.description(noun))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_modifier_has_a_sentence() {
        for m in [
            PlanModifier::RequiresReplace,
            PlanModifier::CaseInsensitiveGuid,
            PlanModifier::UseStateForUnknown,
            PlanModifier::KeepStateWhenUnset,
            PlanModifier::NullWhenRemoved,
            PlanModifier::LeftWhenRemoved,
        ] {
            assert!(m.description("policy").ends_with('.'));
        }
        assert!(
            describe(&[PlanModifier::RequiresReplace], "policy").contains("destroys the policy")
        );
        assert_eq!(describe(&[], "policy"), "");
    }
}

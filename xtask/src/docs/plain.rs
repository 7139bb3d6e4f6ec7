//! Markdown to plain text for front matter descriptions, as tfplugindocs' `plainmarkdown` does:
//! code spans and emphasis lose their markers, links become `text URL` (relative ones just
//! `text`), and paragraphs are separated by one newline.

/// The plain-text rendering of the Markdown `markdown` (inline markup and paragraphs only).
pub fn plain_text(markdown: &str) -> String {
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in markdown.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(inline(&current.join("\n")));
                current.clear();
            }
        } else {
            current.push(line.trim());
        }
    }
    if !current.is_empty() {
        paragraphs.push(inline(&current.join("\n")));
    }
    paragraphs.join("\n")
}

/// Strips inline markup from one paragraph.
fn inline(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '`' => {
                // A code span: its content verbatim, without the backticks.
                let run = chars[i..].iter().take_while(|c| **c == '`').count();
                let fence: String = "`".repeat(run);
                let rest: String = chars[i + run..].iter().collect();
                match rest.find(&fence) {
                    Some(end) => {
                        out.push_str(rest[..end].trim());
                        i += run + rest[..end].chars().count() + run;
                    }
                    None => {
                        out.push_str(&fence);
                        i += run;
                    }
                }
            }
            '[' => match link(&chars[i..]) {
                Some((label, url, used)) => {
                    out.push_str(&inline(&label));
                    if !(url.starts_with('#') || (url.starts_with('/') && !url.starts_with("//"))) {
                        out.push(' ');
                        out.push_str(&url);
                    }
                    i += used;
                }
                None => {
                    out.push('[');
                    i += 1;
                }
            },
            '*' => {
                // Emphasis markers go; a lone `*` (as in `a * b`) stays.
                let run = chars[i..].iter().take_while(|c| **c == '*').count();
                let opens = chars.get(i + run).is_some_and(|c| !c.is_whitespace());
                let closes = i > 0 && !chars[i - 1].is_whitespace();
                if !(opens || closes) {
                    out.extend(std::iter::repeat_n('*', run));
                }
                i += run;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// `[label](url)` at the start of `chars`: the label, the URL and the characters used.
fn link(chars: &[char]) -> Option<(String, String, usize)> {
    let close = chars.iter().position(|c| *c == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = close + 2 + chars[close + 2..].iter().position(|c| *c == ')')?;
    let label: String = chars[1..close].iter().collect();
    let url: String = chars[close + 2..end].iter().collect();
    Some((label, url.trim().to_owned(), end + 1))
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn strips_inline_markup_like_plainmarkdown() {
        assert_eq!(
            plain_text("Manages the policy (`crossTenantIdentitySyncPolicyPartner`) of a partner."),
            "Manages the policy (crossTenantIdentitySyncPolicyPartner) of a partner."
        );
        assert_eq!(
            plain_text("**bold text** and *italic*"),
            "bold text and italic"
        );
        assert_eq!(
            plain_text("See [Markdown Guide](https://www.markdownguide.org) or [here](#Code)."),
            "See Markdown Guide https://www.markdownguide.org or here."
        );
        assert_eq!(
            plain_text("[`Code Link`](https://www.markdownguide.org)"),
            "Code Link https://www.markdownguide.org"
        );
        assert_eq!(plain_text("a * b, tenant_id, [x]"), "a * b, tenant_id, [x]");
    }

    #[test]
    fn paragraphs_are_separated_by_one_newline() {
        assert_eq!(
            plain_text("First.\n\nSecond\nline.\n"),
            "First.\nSecond\nline."
        );
    }
}

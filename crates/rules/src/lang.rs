//! [`Lang`]: the language of messages, from a tag or an Accept-Language header.

/// The language of messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    /// "en", "en-US", "zh", "zh-CN", ... (any region or script); None for anything else.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("zh") {
            Some(Lang::ZhCn)
        } else {
            None
        }
    }

    /// Picks from an Accept-Language header value honouring q-values; ZhCn when nothing matches.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|param| {
                    let param = param.trim();
                    param
                        .strip_prefix("q=")
                        .or_else(|| param.strip_prefix("Q="))
                })
                .map_or(1000, parse_quality);
            // Ties keep the earlier entry, as the header lists preferences in order.
            if weight > 0 && best.is_none_or(|(best_weight, _)| weight > best_weight) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang).unwrap_or_default()
    }
}

/// An HTTP quality value ("1", "0.8", "0.125") in thousandths; malformed values count as 0 (ignored).
fn parse_quality(text: &str) -> u16 {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let valid_whole = matches!(whole, "0" | "1");
    let valid_fraction = fraction.len() <= 3 && fraction.bytes().all(|b| b.is_ascii_digit());
    if !valid_whole || !valid_fraction {
        return 0;
    }
    let mut thousandths: u16 = if whole == "1" { 1000 } else { 0 };
    for (digit, scale) in fraction.bytes().zip([100, 10, 1]) {
        thousandths += u16::from(digit - b'0') * scale;
    }
    thousandths.min(1000)
}

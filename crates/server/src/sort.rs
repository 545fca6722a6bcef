//! The `sort` and `order` parameters of the token lists (HTTP query parameters, the same-named fields of gRPC's
//! `ListTokensRequest` and `SearchTokensRequest`), read into the store's [`TokenOrder`].
//!
//! The server owns these two parameters and their refusal's words, not the rules crate: the rules are also the
//! browser's WebAssembly module, which is at its size budget, and the page only ever sends values from its own
//! menu, so the browser never needs to judge them.

use tokenbatch_rules::Lang;
use tokenbatch_store::{SortKey, TokenOrder};

/// Which of the two parameters was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortParameter {
    Sort,
    Order,
}

impl SortParameter {
    pub fn name(self) -> &'static str {
        match self {
            SortParameter::Sort => "sort",
            SortParameter::Order => "order",
        }
    }
}

/// A `sort` or `order` value that is none of the allowed ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortRefusal {
    pub parameter: SortParameter,
    /// The value as sent, cut to [`ECHOED_CHARS`] characters.
    pub value: String,
}

/// How much of a refused value the message repeats: enough to recognise a typo, never a whole payload.
const ECHOED_CHARS: usize = 40;

impl SortRefusal {
    fn new(parameter: SortParameter, value: &str) -> SortRefusal {
        SortRefusal {
            parameter,
            value: value.chars().take(ECHOED_CHARS).collect(),
        }
    }

    /// The stable code: `sort.invalid` or `order.invalid`.
    pub fn code(&self) -> &'static str {
        match self.parameter {
            SortParameter::Sort => "sort.invalid",
            SortParameter::Order => "order.invalid",
        }
    }

    /// Names the parameter and lists the allowed values, in the caller's language.
    pub fn message(&self, lang: Lang) -> String {
        let value = &self.value;
        let keys = SortKey::ALL.map(SortKey::name);
        match (self.parameter, lang) {
            (SortParameter::Sort, Lang::En) => format!(
                "sort: {value:?} is not a sort key; use one of {}",
                keys.join(", ")
            ),
            (SortParameter::Sort, Lang::ZhCn) => format!(
                "sort：{value:?} 不是可排序的字段，可用：{}",
                keys.join("、")
            ),
            (SortParameter::Order, Lang::En) => {
                format!("order: {value:?} is not a sort direction; use asc or desc")
            }
            (SortParameter::Order, Lang::ZhCn) => {
                format!("order：{value:?} 不是排序方向，可用：asc、desc")
            }
        }
    }
}

/// The order `sort` and `order` ask for; each empty is absent. Both absent: new-api's order (`id`
/// descending, the answers unchanged). `sort` alone: descending, new-api's default direction. `order` alone:
/// by `id` in that direction. Values are exact (lower case, as listed).
pub fn read_order(sort: &str, order: &str) -> Result<TokenOrder, SortRefusal> {
    let key = match sort {
        "" => SortKey::Id,
        name => {
            SortKey::from_name(name).ok_or_else(|| SortRefusal::new(SortParameter::Sort, name))?
        }
    };
    let ascending = match order {
        "" | "desc" => false,
        "asc" => true,
        other => return Err(SortRefusal::new(SortParameter::Order, other)),
    };
    Ok(TokenOrder { key, ascending })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_is_new_apis_order_and_sort_alone_is_descending() {
        assert_eq!(read_order("", ""), Ok(TokenOrder::default()));
        let by_name = read_order("name", "").unwrap();
        assert_eq!((by_name.key, by_name.ascending), (SortKey::Name, false));
        let oldest_first = read_order("", "asc").unwrap();
        assert_eq!(
            (oldest_first.key, oldest_first.ascending),
            (SortKey::Id, true)
        );
        for key in SortKey::ALL {
            assert_eq!(
                read_order(key.name(), "asc"),
                Ok(TokenOrder {
                    key,
                    ascending: true
                })
            );
        }
    }

    #[test]
    fn refusals_name_the_parameter_and_the_allowed_values() {
        let refused = read_order("Name", "asc").unwrap_err();
        assert_eq!(refused.code(), "sort.invalid");
        assert_eq!(
            refused.message(Lang::En),
            "sort: \"Name\" is not a sort key; use one of id, name, status, remain_quota, used_quota, \
             expired_time, created_time, accessed_time"
        );
        assert!(refused
            .message(Lang::ZhCn)
            .starts_with("sort：\"Name\" 不是可排序的字段"));
        let refused = read_order("id", "ASC").unwrap_err();
        assert_eq!(refused.code(), "order.invalid");
        assert_eq!(
            refused.message(Lang::ZhCn),
            "order：\"ASC\" 不是排序方向，可用：asc、desc"
        );
        let long = "x".repeat(1_000);
        assert!(read_order(&long, "").unwrap_err().message(Lang::En).len() < 200);
    }
}

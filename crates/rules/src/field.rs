//! The writable fields: one table ([`crate::field_table!`]) from which the [`Field`] enum, its names and kinds,
//! [`Patch`] and the per-field part of [`TokenState`](crate::apply::TokenState) are generated. Everything
//! else (the request fingerprint, the store's SQL, the wire conversions, the recorded requests) loops over
//! [`Field::ALL`] with [`Patch::get`] / [`TokenState::get`](crate::apply::TokenState::get), or expands the
//! table itself where it needs one Rust field per row (the generated proto structs).

use crate::problem::Kind;

/// The table of writable fields, in the order of the documented body. Each row: the [`Field`] variant, the
/// name (JSON key, proto field, database column and Rust field at once), the Rust type, and the value
/// new-api reads a NULL column as. Adding a field is a row here, its column (the store's schema files) and
/// its proto field; `$callback!` receives the rows.
#[macro_export]
macro_rules! field_table {
    ($callback:ident) => {
        $callback! {
            Group group: String = "",
            ExpiredTime expired_time: i64 = -1,
            RemainQuota remain_quota: i64 = 0,
            UnlimitedQuota unlimited_quota: bool = false,
            ModelLimits model_limits: String = "",
            ModelLimitsEnabled model_limits_enabled: bool = false,
            AllowIps allow_ips: String = "",
            MjImageMode mj_image_mode: String = "",
            MjCustomProxy mj_custom_proxy: String = "",
        }
    };
}

/// One field's value, borrowed: what loops over the fields read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Text(&'a str),
    Integer(i64),
    Boolean(bool),
}

impl Value<'_> {
    pub(crate) fn kind(self) -> Kind {
        match self {
            Value::Text(_) => Kind::Text,
            Value::Integer(_) => Kind::Integer,
            Value::Boolean(_) => Kind::Boolean,
        }
    }
}

/// The problems every field can have, whose codes are `<field>.<suffix>` ([`Field::code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldCode {
    /// `.type`
    Type,
    /// `.missing`
    Missing,
    /// `.too_long_for_column`
    TooLongForColumn,
    /// `.charset`
    Charset,
}

/// The Rust types a field can have, and how each reads and writes a [`Value`].
pub(crate) trait FieldType: Sized {
    /// How the table spells a value of this type.
    type Literal;
    fn literal(literal: Self::Literal) -> Value<'static>;
    fn value(&self) -> Value<'_>;
    /// `None` for a value of another kind.
    fn from_value(value: Value<'_>) -> Option<Self>;
    /// An owned text, without copying it; `None` for a field of another kind.
    fn from_text(_text: String) -> Option<Self> {
        None
    }
}

impl FieldType for String {
    type Literal = &'static str;
    fn literal(literal: &'static str) -> Value<'static> {
        Value::Text(literal)
    }
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
    fn from_value(value: Value<'_>) -> Option<Self> {
        match value {
            Value::Text(text) => Some(text.to_owned()),
            _ => None,
        }
    }
    fn from_text(text: String) -> Option<Self> {
        Some(text)
    }
}

impl FieldType for i64 {
    type Literal = i64;
    fn literal(literal: i64) -> Value<'static> {
        Value::Integer(literal)
    }
    fn value(&self) -> Value<'_> {
        Value::Integer(*self)
    }
    fn from_value(value: Value<'_>) -> Option<Self> {
        match value {
            Value::Integer(integer) => Some(integer),
            _ => None,
        }
    }
}

impl FieldType for bool {
    type Literal = bool;
    fn literal(literal: bool) -> Value<'static> {
        Value::Boolean(literal)
    }
    fn value(&self) -> Value<'_> {
        Value::Boolean(*self)
    }
    fn from_value(value: Value<'_>) -> Option<Self> {
        match value {
            Value::Boolean(boolean) => Some(boolean),
            _ => None,
        }
    }
}

/// [`Field`] and [`Patch`] from the table's rows.
macro_rules! define_fields {
    ($($variant:ident $name:ident: $type:ty = $null:expr,)*) => {
        /// A field `update_fields` can name, in the order of the documented body.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub enum Field {
            $($variant,)*
        }

        impl Field {
            pub const ALL: [Field; [$(stringify!($name)),*].len()] = [$(Field::$variant,)*];

            /// The JSON (and proto, and column) name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Field::$variant => stringify!($name),)*
                }
            }

            /// The stable code of a problem about this field, e.g. `group.type`.
            pub(crate) fn code(self, code: FieldCode) -> &'static str {
                match self {
                    $(Field::$variant => match code {
                        FieldCode::Type => concat!(stringify!($name), ".type"),
                        FieldCode::Missing => concat!(stringify!($name), ".missing"),
                        FieldCode::TooLongForColumn => {
                            concat!(stringify!($name), ".too_long_for_column")
                        }
                        FieldCode::Charset => concat!(stringify!($name), ".charset"),
                    },)*
                }
            }

            /// What new-api reads a NULL column of this field as; its variant is the field's kind.
            pub fn null_value(self) -> Value<'static> {
                match self {
                    $(Field::$variant => <$type as FieldType>::literal($null),)*
                }
            }
        }

        /// The values a request carries, typed but not yet checked against the rules.
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct Patch {
            $(pub $name: Option<$type>,)*
        }

        impl Patch {
            /// The value of `field`, if the patch carries one.
            pub fn get(&self, field: Field) -> Option<Value<'_>> {
                match field {
                    $(Field::$variant => self.$name.as_ref().map(FieldType::value),)*
                }
            }

            /// Stores a value; false (and nothing stored) when it is of another kind than the field.
            pub fn set(&mut self, field: Field, value: Value<'_>) -> bool {
                match field {
                    $(Field::$variant => match FieldType::from_value(value) {
                        Some(value) => {
                            self.$name = Some(value);
                            true
                        }
                        None => false,
                    },)*
                }
            }
        }
    };
}

field_table!(define_fields);

impl Field {
    /// Exact, case-sensitive.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }

    pub(crate) fn kind(self) -> Kind {
        self.null_value().kind()
    }
}

impl Patch {
    pub fn has(&self, field: Field) -> bool {
        self.get(field).is_some()
    }

    /// The fields that carry a value.
    pub fn present(&self) -> crate::FieldSet {
        Field::ALL
            .into_iter()
            .filter(|field| self.has(*field))
            .collect()
    }

    /// The value of a text field; `None` when absent or for fields of another type.
    pub fn text(&self, field: Field) -> Option<&str> {
        match self.get(field) {
            Some(Value::Text(text)) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn integer(&self, field: Field) -> Option<i64> {
        match self.get(field) {
            Some(Value::Integer(integer)) => Some(integer),
            _ => None,
        }
    }

    pub(crate) fn boolean(&self, field: Field) -> Option<bool> {
        match self.get(field) {
            Some(Value::Boolean(boolean)) => Some(boolean),
            _ => None,
        }
    }
}

/// Typed setters for the parser and the checks; a value of another kind than the field is ignored.
impl Patch {
    pub(crate) fn set_text(&mut self, field: Field, value: String) {
        self.set(field, Value::Text(&value));
    }

    pub(crate) fn set_integer(&mut self, field: Field, value: i64) {
        self.set(field, Value::Integer(value));
    }

    pub(crate) fn set_boolean(&mut self, field: Field, value: bool) {
        self.set(field, Value::Boolean(value));
    }
}

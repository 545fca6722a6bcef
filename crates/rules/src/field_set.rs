//! [`FieldSet`]: which of the writable fields a batch names, writes or ignores, as a bitset.

use crate::Field;

/// A small set of fields (bitset).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct FieldSet(u16);

impl FieldSet {
    pub fn new() -> Self {
        FieldSet(0)
    }

    pub fn all() -> Self {
        Field::ALL.into_iter().collect()
    }

    pub fn insert(&mut self, field: Field) {
        self.0 |= 1 << field as u16;
    }

    pub fn contains(self, field: Field) -> bool {
        self.0 & (1 << field as u16) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// In `Field::ALL` order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL
            .into_iter()
            .filter(move |field| self.contains(*field))
    }

    /// The fields in `self` but not in `other`.
    pub fn difference(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 & !other.0)
    }

    pub fn union(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 | other.0)
    }

    /// The names joined with ", ", as messages list them.
    pub fn names(self) -> String {
        self.iter().map(Field::name).collect::<Vec<_>>().join(", ")
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(fields: I) -> Self {
        let mut set = FieldSet::new();
        for field in fields {
            set.insert(field);
        }
        set
    }
}

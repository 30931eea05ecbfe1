//! [`OutOfLine`]: TCB state that only some profiles use, kept behind a pointer.

use std::ops::{Deref, DerefMut};

/// A value kept out of line and allocated on its first write: until then it reads as its
/// default. The model checker clones a whole system state for every step it explores and
/// never uses the RTT estimator or the out-of-order queue (their configuration is off), so
/// a TCB there carries a null pointer instead of 170 bytes of defaults.
#[derive(Clone, Debug, Default)]
pub struct OutOfLine<T>(Option<Box<T>>);

/// A type whose default can be read without building one each time.
pub trait StaticDefault: Default + 'static {
    /// The default value, built once.
    fn static_default() -> &'static Self;
}

impl<T> OutOfLine<T> {
    /// The value if it was ever written, for a change that leaves a default as it is
    /// (clearing a flag, emptying a queue) and so need not allocate.
    pub fn if_present(&mut self) -> Option<&mut T> {
        self.0.as_deref_mut()
    }
}

impl<T: StaticDefault> Deref for OutOfLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.0 {
            Some(v) => v,
            None => T::static_default(),
        }
    }
}

impl<T: StaticDefault> DerefMut for OutOfLine<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

/// Equal as values: never written and written back to the default compare equal.
impl<T: StaticDefault + PartialEq> PartialEq for OutOfLine<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: StaticDefault + Eq> Eq for OutOfLine<T> {}

impl<T: StaticDefault + std::hash::Hash> std::hash::Hash for OutOfLine<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

/// Implements [`StaticDefault`] for a type with a `Default`, through a `OnceLock`.
macro_rules! static_default {
    ($t:ty) => {
        impl $crate::out_of_line::StaticDefault for $t {
            fn static_default() -> &'static Self {
                static DEFAULT: std::sync::OnceLock<$t> = std::sync::OnceLock::new();
                DEFAULT.get_or_init(<$t>::default)
            }
        }
    };
}
pub(crate) use static_default;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
    struct Probe {
        flag: bool,
        list: Vec<u32>,
    }
    static_default!(Probe);

    #[test]
    fn reads_see_the_default_and_allocate_nothing() {
        let v: OutOfLine<Probe> = OutOfLine::default();
        assert!(!v.flag && v.list.is_empty());
        assert!(v.0.is_none());
    }

    #[test]
    fn the_first_write_allocates_and_clearing_through_if_present_does_not() {
        let mut v: OutOfLine<Probe> = OutOfLine::default();
        if let Some(p) = v.if_present() {
            p.flag = false;
        }
        assert!(v.0.is_none());
        v.list.push(7);
        assert_eq!(v.list, [7]);
        assert!(v.0.is_some());
    }

    #[test]
    fn written_back_to_the_default_it_equals_one_never_written() {
        let mut v: OutOfLine<Probe> = OutOfLine::default();
        let probe: &mut Probe = &mut v;
        probe.flag = true;
        assert_ne!(v, OutOfLine::default());
        v.flag = false;
        assert_eq!(v, OutOfLine::default());
    }
}

//! Where the caches read the time: the system clock, or a clock a test moves by hand
//! (the grant cache's revoke interleavings are tested on one).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where a cache reads the time: the system clock, or one a test moves by hand.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Instant + Send + Sync>);

impl Clock {
    /// [`Instant::now`].
    pub fn system() -> Self {
        Clock(Arc::new(Instant::now))
    }

    /// A clock reading `now` (tests move it by hand).
    pub fn from_fn(now: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    pub(crate) fn now(&self) -> Instant {
        (self.0)()
    }
}

/// A clock a test moves by hand (its [`Clock`] reads the time it was moved to).
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<Instant>>);

impl ManualClock {
    pub fn new() -> Self {
        ManualClock(Arc::new(Mutex::new(Instant::now())))
    }

    pub fn clock(&self) -> Clock {
        let t = self.0.clone();
        Clock::from_fn(move || *t.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

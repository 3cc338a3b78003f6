//! The one in-memory TTL cache: API-key records, Secrets Manager values, the host JWKS
//! and the signing key ring are all kept warm with it (README, "API keys").
//!
//! - A fresh value is read under a short lock that is never held across an `.await`.
//! - Loads are single-flight per key: concurrent misses run one load, the others wait
//!   for it and use its value. A load that fails is not cached; its error goes to the
//!   caller (fail closed), and a waiter behind it runs its own load.
//! - An optional bound per partition: the partition of an entry is decided by its value
//!   (the API-key cache keeps known keys and unknown ids apart), each with its own
//!   capacity and eviction order; a full partition drops one entry, never all.
//! - An optional cooldown gate for [`TtlCache::refetch`], the "unknown `kid`" case: a
//!   reload of a fresh value at most once per cooldown.
//! - A TTL of zero keeps nothing: every read loads.
//!
//! The loader's error type is the caller's: this module knows no error of its own.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use super::clock::{Clock, ManualClock};

/// Which entry a full partition drops to make room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Eviction {
    /// The one read or written longest ago: a read moves an entry to the back.
    LeastRecentlyUsed,
    /// The one written longest ago: reads do not move entries.
    Oldest,
}

/// How many entries a partition holds, and which goes first when it is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bound {
    /// At least one entry is always kept.
    pub capacity: usize,
    pub eviction: Eviction,
}

impl Bound {
    /// No bound (a cache of a few known keys).
    pub(crate) const UNBOUNDED: Bound = Bound {
        capacity: usize::MAX,
        eviction: Eviction::Oldest,
    };
}

/// How often [`TtlCache::refetch`] may load: at most once per cooldown, counted from
/// the start of the last load attempt, failed or not, of the kind named. One cooldown
/// serves the whole cache (it is meant for a single value, `K = ()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cooldown {
    /// Any load: a routine load also starts the cooldown. For a server run by someone
    /// else (the host JWKS), which a flood of unknown kids must never hammer.
    SinceAnyLoad(Duration),
    /// Refetches only: a routine load does not delay picking up a new key (the signing
    /// key ring, our own secret).
    SinceRefetch(Duration),
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lookup<V> {
    pub value: V,
    /// This call ran the load (the cold path); `false` for a value from memory,
    /// including one another caller's load produced while this one waited.
    pub loaded: bool,
}

struct Slot<V> {
    value: V,
    loaded_at: Instant,
    part: usize,
    /// Position in the partition's eviction order.
    tick: u64,
}

struct State<K, V> {
    slots: HashMap<K, Slot<V>>,
    /// Per partition: keys by position in the eviction order, first goes first.
    order: Vec<BTreeMap<u64, K>>,
    tick: u64,
    /// Start of the last load attempt the cooldown counts.
    cooldown_from: Option<Instant>,
}

impl<K: Hash + Eq + Clone, V> State<K, V> {
    fn new(partitions: usize) -> Self {
        State {
            slots: HashMap::new(),
            order: (0..partitions).map(|_| BTreeMap::new()).collect(),
            tick: 0,
            cooldown_from: None,
        }
    }

    /// Moves `key` to the back of its partition's order if that partition is
    /// least-recently-used (whether or not the value is still fresh).
    fn touch<Q: Hash + Eq + ?Sized>(&mut self, key: &Q, bounds: &[Bound])
    where
        K: Borrow<Q>,
    {
        let State {
            slots, order, tick, ..
        } = self;
        let Some(slot) = slots.get_mut(key) else {
            return;
        };
        let lru = bounds
            .get(slot.part)
            .is_some_and(|b| b.eviction == Eviction::LeastRecentlyUsed);
        let Some(order) = order.get_mut(slot.part).filter(|_| lru) else {
            return;
        };
        *tick += 1;
        if let Some(k) = order.remove(&slot.tick) {
            order.insert(*tick, k);
        }
        slot.tick = *tick;
    }

    fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
    {
        if let Some(slot) = self.slots.remove(key)
            && let Some(order) = self.order.get_mut(slot.part)
        {
            order.remove(&slot.tick);
        }
    }

    fn insert(&mut self, key: K, value: V, part: usize, bound: Bound, now: Instant) {
        self.remove(&key);
        let Some(order) = self.order.get_mut(part) else {
            return;
        };
        if order.len() >= bound.capacity.max(1)
            && let Some((_, first)) = order.pop_first()
        {
            self.slots.remove(&first);
        }
        self.tick += 1;
        order.insert(self.tick, key.clone());
        let slot = Slot {
            value,
            loaded_at: now,
            part,
            tick: self.tick,
        };
        self.slots.insert(key, slot);
    }
}

/// The per-key lock one load holds and its waiters queue on; its entry leaves the map
/// when the last of them is done (or dropped: a cancelled caller leaves nothing behind).
struct Flight<'c, K: Hash + Eq, V> {
    cache: &'c TtlCache<K, V>,
    key: K,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl<K: Hash + Eq, V> Drop for Flight<'_, K, V> {
    fn drop(&mut self) {
        let mut flights = self.cache.flights.lock().unwrap_or_else(|p| p.into_inner());
        // One reference in the map and this one: nobody else waits.
        if Arc::strong_count(&self.turn) <= 2 {
            flights.remove(&self.key);
        }
    }
}

/// A map from `K` to `V`, each value fresh for the TTL after its load finished.
pub(crate) struct TtlCache<K: Hash + Eq, V> {
    ttl: Duration,
    bounds: Vec<Bound>,
    part_of: fn(&V) -> usize,
    cooldown: Option<Cooldown>,
    clock: Clock,
    state: Mutex<State<K, V>>,
    flights: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K: Hash + Eq + Clone, V: Clone> TtlCache<K, V> {
    /// An unbounded cache without a cooldown, on the system clock.
    pub(crate) fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            bounds: vec![Bound::UNBOUNDED],
            part_of: |_| 0,
            cooldown: None,
            clock: Clock::system(),
            state: Mutex::new(State::new(1)),
            flights: Mutex::new(HashMap::new()),
        }
    }

    /// One partition, with this bound.
    #[cfg(test)]
    pub(crate) fn bounded(self, bound: Bound) -> Self {
        self.partitioned(|_| 0, &[bound])
    }

    /// Partition `part_of(value)` (an index into `bounds`; past the end means the last)
    /// holds at most its bound's capacity, evicted in its bound's order, so entries of
    /// one partition never push out another's.
    pub(crate) fn partitioned(mut self, part_of: fn(&V) -> usize, bounds: &[Bound]) -> Self {
        if !bounds.is_empty() {
            self.bounds = bounds.to_vec();
            self.part_of = part_of;
            self.state = Mutex::new(State::new(bounds.len()));
        }
        self
    }

    /// Gates [`TtlCache::refetch`].
    pub(crate) fn with_cooldown(mut self, cooldown: Cooldown) -> Self {
        self.cooldown = Some(cooldown);
        self
    }

    pub(crate) fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn state(&self) -> MutexGuard<'_, State<K, V>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value of `key` if it is fresh (no load; a read counts as a use).
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let now = self.clock.now();
        let mut state = self.state();
        state.touch(key, &self.bounds);
        state
            .slots
            .get(key)
            .filter(|s| now.saturating_duration_since(s.loaded_at) < self.ttl)
            .map(|s| s.value.clone())
    }

    /// Keeps `value` for `key` from now on (nothing with a TTL of zero).
    pub(crate) fn insert(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let part = (self.part_of)(&value).min(self.bounds.len().saturating_sub(1));
        let bound = self.bounds.get(part).copied().unwrap_or(Bound::UNBOUNDED);
        let now = self.clock.now();
        self.state().insert(key, value, part, bound, now);
    }

    /// Forgets `key` (after this process changed what it names).
    #[cfg(test)]
    pub(crate) fn invalidate<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.state().remove(key);
    }

    /// How many entries, fresh or not, partition `part` holds.
    #[cfg(test)]
    pub(crate) fn count(&self, part: usize) -> usize {
        self.state().order.get(part).map_or(0, BTreeMap::len)
    }

    /// The fresh value of `key`, or the value one load produces (see [`TtlCache::lookup`]).
    pub(crate) async fn get_or_load<Q, E, F, Fut>(&self, key: &Q, load: F) -> Result<V, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        self.lookup(key, load).await.map(|l| l.value)
    }

    /// The fresh value of `key`; on a miss, `load` runs, unless a concurrent load of the
    /// same key is under way: then this call waits for it and takes its value (or, if
    /// it failed, loads itself). A failed load is returned and not cached.
    pub(crate) async fn lookup<Q, E, F, Fut>(&self, key: &Q, load: F) -> Result<Lookup<V>, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let lookup = |loaded| move |value| Lookup { value, loaded };
        if let Some(v) = self.get(key) {
            return Ok(lookup(false)(v));
        }
        if self.ttl.is_zero() {
            // Nothing is kept, so there is nothing to wait for.
            return self.load(key, load, false).await.map(lookup(true));
        }
        let flight = self.flight(key);
        let _turn = flight.turn.lock().await;
        match self.get(key) {
            Some(v) => Ok(lookup(false)(v)),
            None => self.load(key, load, false).await.map(lookup(true)),
        }
    }

    /// Loads `key` again although it may be fresh (a key the cached value does not
    /// know), single-flight with every other load of it. With a cooldown, `Ok(None)`
    /// (and no load) while it runs: a waiter behind a refetch gets `None` and reads the
    /// refetched value with [`TtlCache::get`].
    pub(crate) async fn refetch<Q, E, F, Fut>(&self, key: &Q, load: F) -> Result<Option<V>, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let flight = self.flight(key);
        let _turn = flight.turn.lock().await;
        if self.cooling_down() {
            return Ok(None);
        }
        self.load(key, load, true).await.map(Some)
    }

    fn cooling_down(&self) -> bool {
        let period = match self.cooldown {
            None => return false,
            Some(Cooldown::SinceAnyLoad(p) | Cooldown::SinceRefetch(p)) => p,
        };
        let now = self.clock.now();
        self.state()
            .cooldown_from
            .is_some_and(|t| now.saturating_duration_since(t) < period)
    }

    async fn load<Q, E, F, Fut>(&self, key: &Q, load: F, refetch: bool) -> Result<V, E>
    where
        Q: ToOwned<Owned = K> + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let counted = match self.cooldown {
            Some(Cooldown::SinceAnyLoad(_)) => true,
            Some(Cooldown::SinceRefetch(_)) => refetch,
            None => false,
        };
        if counted {
            let now = self.clock.now();
            self.state().cooldown_from = Some(now);
        }
        let value = load().await?;
        self.insert(key.to_owned(), value.clone());
        Ok(value)
    }

    fn flight<Q>(&self, key: &Q) -> Flight<'_, K, V>
    where
        Q: ToOwned<Owned = K> + ?Sized,
    {
        let key = key.to_owned();
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        let turn = flights.entry(key.clone()).or_default().clone();
        Flight {
            cache: self,
            key,
            turn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A loader that counts its runs and answers `value`, or fails with `Err(())`.
    #[derive(Default)]
    struct Loads(AtomicUsize);

    impl Loads {
        fn count(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
        async fn ok(&self, value: u32) -> Result<u32, ()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(value)
        }
        async fn fail(&self) -> Result<u32, ()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(())
        }
    }

    const SEC: Duration = Duration::from_secs(1);

    fn flights<K: Hash + Eq + Clone, V: Clone>(c: &TtlCache<K, V>) -> usize {
        c.flights.lock().unwrap().len()
    }

    #[tokio::test]
    async fn values_are_fresh_for_the_ttl_then_reloaded() {
        let t = ManualClock::new();
        let c = TtlCache::new(10 * SEC).with_clock(t.clock());
        let loads = Loads::default();
        assert_eq!(c.get_or_load("k", || loads.ok(1)).await, Ok(1));
        t.advance(10 * SEC - Duration::from_millis(1));
        assert_eq!(c.get_or_load("k", || loads.ok(2)).await, Ok(1));
        assert_eq!(c.get("k"), Some(1));
        assert_eq!(loads.count(), 1, "fresh: from memory");
        t.advance(Duration::from_millis(1));
        assert_eq!(c.get::<str>("k"), None, "stale at exactly the TTL");
        let l = c.lookup("k", || loads.ok(2)).await;
        assert_eq!(
            l,
            Ok(Lookup {
                value: 2,
                loaded: true
            })
        );
        assert_eq!(loads.count(), 2);
        assert_eq!(flights(&c), 0, "no lock left behind");
    }

    #[tokio::test]
    async fn a_zero_ttl_keeps_nothing() {
        let c: TtlCache<String, u32> = TtlCache::new(Duration::ZERO);
        let loads = Loads::default();
        for _ in 0..3 {
            assert_eq!(c.get_or_load("k", || loads.ok(1)).await, Ok(1));
        }
        assert_eq!(loads.count(), 3);
        c.insert("k".into(), 1);
        assert_eq!((c.get("k"), c.count(0)), (None, 0));
    }

    #[tokio::test]
    async fn failed_loads_are_returned_and_not_cached() {
        let c: TtlCache<String, u32> = TtlCache::new(60 * SEC);
        let loads = Loads::default();
        assert_eq!(c.get_or_load("k", || loads.fail()).await, Err(()));
        assert_eq!((c.get("k"), c.count(0)), (None, 0));
        assert_eq!(c.get_or_load("k", || loads.ok(7)).await, Ok(7));
        assert_eq!(loads.count(), 2, "the failure did not stop the next load");
        // A failed reload does not serve the stale value either.
        let t = ManualClock::new();
        let c = TtlCache::new(SEC).with_clock(t.clock());
        assert_eq!(c.get_or_load(&(), || loads.ok(1)).await, Ok(1));
        t.advance(SEC);
        assert_eq!(c.get_or_load(&(), || loads.fail()).await, Err(()));
    }

    /// `n` concurrent lookups of one key while the loader is held at a gate.
    async fn concurrent(c: &Arc<TtlCache<String, u32>>, n: usize) -> (Vec<Lookup<u32>>, usize) {
        let loads = Arc::new(Loads::default());
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (c, loads, gate) = (c.clone(), loads.clone(), gate.clone());
            tasks.push(tokio::spawn(async move {
                c.lookup("k", || async {
                    let _open = gate.acquire().await;
                    loads.ok(42).await
                })
                .await
            }));
        }
        // Every task runs until it waits: one at the gate, the others for its load.
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(n);
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap().unwrap());
        }
        (out, loads.count())
    }

    #[tokio::test]
    async fn concurrent_misses_run_one_load() {
        let c = Arc::new(TtlCache::new(60 * SEC));
        let (got, loads) = concurrent(&c, 20).await;
        assert_eq!(loads, 1, "one load for 20 concurrent misses");
        assert!(got.iter().all(|l| l.value == 42));
        assert_eq!(got.iter().filter(|l| l.loaded).count(), 1);
        assert_eq!(flights(&c), 0);
    }

    #[tokio::test]
    async fn waiters_behind_a_failed_load_load_themselves() {
        let c: Arc<TtlCache<String, u32>> = Arc::new(TtlCache::new(60 * SEC));
        let first = Arc::new(Loads::default());
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let leader = {
            let (c, first, gate) = (c.clone(), first.clone(), gate.clone());
            tokio::spawn(async move {
                c.get_or_load("k", || async {
                    let _open = gate.acquire().await;
                    first.fail().await
                })
                .await
            })
        };
        tokio::task::yield_now().await;
        let waiter = {
            let c = c.clone();
            tokio::spawn(async move { c.get_or_load("k", || async { Ok::<_, ()>(5) }).await })
        };
        tokio::task::yield_now().await;
        gate.add_permits(1);
        assert_eq!(leader.await.unwrap(), Err(()));
        assert_eq!(waiter.await.unwrap(), Ok(5));
        assert_eq!(first.count(), 1);
    }

    #[tokio::test]
    async fn a_cancelled_load_leaves_no_lock_behind() {
        let c: TtlCache<String, u32> = TtlCache::new(60 * SEC);
        let never = std::future::pending::<Result<u32, ()>>;
        let cancelled = tokio::time::timeout(Duration::from_millis(1), c.get_or_load("k", never));
        assert!(cancelled.await.is_err());
        assert_eq!(flights(&c), 0);
        assert_eq!(c.get_or_load("k", || async { Ok::<_, ()>(1) }).await, Ok(1));
    }

    fn filled(bound: Bound) -> TtlCache<String, u32> {
        let c = TtlCache::new(60 * SEC).bounded(bound);
        for k in ["a", "b", "c"] {
            c.insert(k.into(), 0);
        }
        c
    }

    #[test]
    fn a_full_lru_partition_drops_the_least_recently_used() {
        let c = filled(Bound {
            capacity: 3,
            eviction: Eviction::LeastRecentlyUsed,
        });
        assert!(c.get("a").is_some());
        c.insert("d".into(), 0);
        assert_eq!(c.count(0), 3);
        let kept = ["a", "b", "c", "d"].map(|k| c.get(k).is_some());
        assert_eq!(
            kept,
            [true, false, true, true],
            "b was the least recently used"
        );
        // Re-inserting a held key replaces it and evicts nothing.
        c.insert("a".into(), 1);
        assert_eq!((c.count(0), c.get("a")), (3, Some(1)));
    }

    #[test]
    fn a_full_oldest_partition_drops_the_oldest_whatever_was_read() {
        let c = filled(Bound {
            capacity: 3,
            eviction: Eviction::Oldest,
        });
        assert!(c.get("a").is_some());
        c.insert("d".into(), 0);
        let kept = ["a", "b", "c", "d"].map(|k| c.get(k).is_some());
        assert_eq!(kept, [false, true, true, true], "a was written first");
    }

    #[test]
    fn partitions_are_bounded_separately_and_an_entry_moves_between_them() {
        let bound = |capacity| Bound {
            capacity,
            eviction: Eviction::Oldest,
        };
        let c: TtlCache<u32, Option<u32>> = TtlCache::new(60 * SEC)
            .partitioned(|v| usize::from(v.is_none()), &[bound(2), bound(3)]);
        c.insert(1, Some(1));
        for k in 100..200 {
            c.insert(k, None);
        }
        assert_eq!((c.count(0), c.count(1)), (1, 3));
        assert_eq!(
            c.get(&1),
            Some(Some(1)),
            "a flood of the other kind never evicts it"
        );
        assert_eq!(c.get(&199), Some(None));
        assert_eq!(c.get(&100), None);
        c.insert(199, Some(9));
        assert_eq!((c.count(0), c.count(1)), (2, 2));
        c.invalidate(&1);
        assert_eq!((c.count(0), c.get(&1)), (1, None));
    }

    #[tokio::test]
    async fn refetch_since_any_load_waits_a_cooldown_after_every_load() {
        let t = ManualClock::new();
        let c = TtlCache::new(300 * SEC)
            .with_cooldown(Cooldown::SinceAnyLoad(30 * SEC))
            .with_clock(t.clock());
        let loads = Loads::default();
        assert_eq!(c.get_or_load(&(), || loads.ok(1)).await, Ok(1));
        t.advance(29 * SEC);
        assert_eq!(c.refetch(&(), || loads.ok(2)).await, Ok(None));
        assert_eq!(loads.count(), 1, "within a cooldown of the routine load");
        t.advance(SEC);
        assert_eq!(c.refetch(&(), || loads.fail()).await, Err(()));
        assert_eq!(
            c.get(&()),
            Some(1),
            "a failed refetch keeps the fresh value"
        );
        assert_eq!(
            c.refetch(&(), || loads.ok(3)).await,
            Ok(None),
            "a failure counts"
        );
        t.advance(30 * SEC);
        assert_eq!(c.refetch(&(), || loads.ok(3)).await, Ok(Some(3)));
        assert_eq!(c.get(&()), Some(3));
        assert_eq!(loads.count(), 3);
    }

    #[tokio::test]
    async fn refetch_since_refetch_ignores_routine_loads() {
        let t = ManualClock::new();
        let c = TtlCache::new(300 * SEC)
            .with_cooldown(Cooldown::SinceRefetch(30 * SEC))
            .with_clock(t.clock());
        let loads = Loads::default();
        assert_eq!(c.get_or_load(&(), || loads.ok(1)).await, Ok(1));
        t.advance(SEC);
        assert_eq!(c.refetch(&(), || loads.ok(2)).await, Ok(Some(2)));
        t.advance(29 * SEC);
        assert_eq!(c.refetch(&(), || loads.ok(3)).await, Ok(None));
        t.advance(SEC);
        assert_eq!(c.refetch(&(), || loads.ok(3)).await, Ok(Some(3)));
        assert_eq!(loads.count(), 3);
        // Without a cooldown a refetch always loads.
        let c = TtlCache::new(300 * SEC);
        for v in 1..=3 {
            assert_eq!(c.refetch(&(), || loads.ok(v)).await, Ok(Some(v)));
        }
    }

    #[tokio::test]
    async fn concurrent_refetches_run_one_load() {
        let c: Arc<TtlCache<(), u32>> =
            Arc::new(TtlCache::new(300 * SEC).with_cooldown(Cooldown::SinceRefetch(30 * SEC)));
        let loads = Arc::new(Loads::default());
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (c, loads) = (c.clone(), loads.clone());
            tasks.push(tokio::spawn(async move {
                c.refetch(&(), || async {
                    tokio::task::yield_now().await;
                    loads.ok(8).await
                })
                .await
            }));
        }
        let mut refetched = 0;
        for t in tasks {
            if t.await.unwrap() == Ok(Some(8)) {
                refetched += 1;
            }
        }
        assert_eq!((refetched, loads.count()), (1, 1));
        assert_eq!(c.get(&()), Some(8), "the waiters read the refetched value");
    }
}

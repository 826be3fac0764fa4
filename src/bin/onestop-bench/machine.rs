//! The whole machine's CPU during a run, from the kernel's counters (`/proc/stat`): how busy
//! its cores were, and how much time the host took for others (steal, on a virtual machine).
//!
//! A run's figures depend on the cores it had: on a shared virtual machine whose host takes
//! much of the time for others, the same binary's overhead is several times that on an idle
//! one (round 10 of `docs/performance-log.md`). The bench prints this line so that a run can be
//! judged, and compared with another, for what the machine gave it. It only reads the
//! counters; it must not judge a run itself.

/// The aggregate `cpu` line of `/proc/stat`, in clock ticks since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    busy: u64,
    idle: u64,
    iowait: u64,
    steal: u64,
}

impl CpuTimes {
    /// Now; `None` where `/proc/stat` cannot be read (not Linux).
    pub fn now() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// The first line, `cpu  user nice system idle iowait irq softirq steal guest guest_nice`
    /// (guest time is already counted in user time, so it is left out).
    fn parse(stat: &str) -> Option<Self> {
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let fields: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        let field = |i: usize| fields.get(i).copied().unwrap_or(0);
        Some(Self {
            busy: field(0) + field(1) + field(2) + field(5) + field(6),
            idle: field(3),
            iowait: field(4),
            steal: field(7),
        })
    }

    /// What the machine did between `before` and `self`, as shares of all its cores' time.
    pub fn since(&self, before: &Self) -> Option<MachineShare> {
        let busy = self.busy.checked_sub(before.busy)?;
        let idle = self.idle.checked_sub(before.idle)?;
        let iowait = self.iowait.checked_sub(before.iowait)?;
        let steal = self.steal.checked_sub(before.steal)?;
        let total = busy + idle + iowait + steal;
        if total == 0 {
            return None;
        }
        let share = |ticks: u64| 100.0 * ticks as f64 / total as f64;
        Some(MachineShare {
            busy: share(busy),
            iowait: share(iowait),
            steal: share(steal),
        })
    }
}

/// Percentages of the machine's CPU time over a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MachineShare {
    /// Running anything: the server, the bench, the database, the rest of the machine.
    pub busy: f64,
    /// Idle with a disk write or read outstanding.
    pub iowait: f64,
    /// Taken by the host for other machines.
    pub steal: f64,
}

impl std::fmt::Display for MachineShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} % busy, {:.0} % stolen by the host, {:.0} % waiting for the disk",
            self.busy, self.steal, self.iowait
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_the_machine_come_from_the_aggregate_line() {
        let before = "cpu  100 0 50 800 10 0 0 40 7 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n";
        let after = "cpu  400 20 130 1000 30 5 5 340 70 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n";
        let before = CpuTimes::parse(before).expect("parsed");
        let after = CpuTimes::parse(after).expect("parsed");
        // busy 410, idle 200, iowait 20, steal 300: 930 ticks in all.
        let share = after.since(&before).expect("a share");
        assert!((share.busy - 100.0 * 410.0 / 930.0).abs() < 1e-9);
        assert!((share.steal - 100.0 * 300.0 / 930.0).abs() < 1e-9);
        assert!((share.iowait - 100.0 * 20.0 / 930.0).abs() < 1e-9);
        assert_eq!(
            share.to_string(),
            "44 % busy, 32 % stolen by the host, 2 % waiting for the disk"
        );
    }

    #[test]
    fn no_share_without_time_or_when_counters_go_back() {
        let t = CpuTimes::parse("cpu  1 2 3 4 5 6 7 8\n").expect("parsed");
        assert_eq!(t.since(&t), None);
        let earlier = CpuTimes::parse("cpu  9 2 3 4 5 6 7 8\n").expect("parsed");
        assert_eq!(t.since(&earlier), None);
        assert_eq!(CpuTimes::parse("intr 1 2 3\n"), None);
        assert_eq!(CpuTimes::parse("cpu  1 x 3\n"), None);
    }
}

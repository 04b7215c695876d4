//! The numbers written in docs/ABI.md: if this fails, the document (or the ABI) is wrong.
use oom_guard_core::abi::*;

#[test]
fn documented_ioctl_numbers() {
    // The values written in docs/ABI.md.
    assert_eq!(IOCTL_GET_VERSION, 0x8004_B700);
    assert_eq!(IOCTL_GET_STATS, 0x8080_B701);
    assert_eq!(IOCTL_GET_ZONES, 0x8260_B702);
    assert_eq!(IOCTL_GET_CONFIG, 0x8020_B703);
    assert_eq!(IOCTL_SET_CONFIG, 0x4020_B704);
    assert_eq!(std::mem::size_of::<Zones>(), 608);
    assert_eq!(RecordType::Pressure.record_size(), 632);
    assert_eq!(RecordType::Oom.record_size(), 688);
    assert_eq!(RecordType::Pool.record_size(), 64);
    assert_eq!(RecordType::Kill.record_size(), 72);
    assert_eq!(RecordType::Lost.record_size(), 48);
}

//! Peak memory of the IDX reader, measured by a counting allocator: reading samples
//! costs about the samples, never a second full copy, and a file whose header claims far
//! more than it holds costs about what it holds.

mod common;
use common::counting_alloc::{Counting, peak_bytes_during};

use std::io::Write;

use shaped::data::{IdxError, load_idx_images};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A gzip IDX file of `count` items of 784 bytes (header) holding `held` items of data.
fn gzip_idx(name: &str, count: u32, held: usize) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shaped-idx-mem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
    gz.write_all(&[0, 0, 8, 3]).unwrap();
    for d in [count, 28, 28] {
        gz.write_all(&d.to_be_bytes()).unwrap();
    }
    let item: Vec<u8> = (0..784).map(|i| (i % 251) as u8).collect();
    for _ in 0..held {
        gz.write_all(&item).unwrap();
    }
    gz.finish().unwrap();
    path
}

/// One test, so that no other test allocates while the peak is measured.
#[test]
fn peak_memory_is_about_the_samples() {
    const MIB: usize = 1 << 20;
    // A real file of 20,000 images (15.7 MB): the samples and small buffers, not a copy
    // of the decoded data beside them (which made it twice that).
    let good = gzip_idx("good.idx.gz", 20_000, 20_000);
    let data = 20_000 * 784;
    let (peak, images) = peak_bytes_during(|| load_idx_images::<[u8; 784]>(&good).unwrap());
    assert_eq!(images.len(), 20_000);
    assert_eq!(images[19_999][783], (783 % 251) as u8);
    drop(images);
    // Vec growth may have reserved more than the samples (25.1 MB here); the decoded
    // data and the samples side by side would be at least 31.4 MB.
    let limit = data * 7 / 4 + MIB;
    assert!(peak <= limit, "peak {peak} bytes for {data} bytes of samples");
    // A bomb: the header claims 5.4 million images (4.2 GB), the stream holds 20,000.
    // The error arrives with memory for what was there.
    let bomb = gzip_idx("bomb.idx.gz", 5_400_000, 20_000);
    let (peak, result) = peak_bytes_during(|| load_idx_images::<[u8; 784]>(&bomb));
    assert!(matches!(result, Err(IdxError::Truncated { .. })), "{result:?}");
    assert!(peak <= limit, "peak {peak} bytes for a file holding {data} bytes");
}

/// The bomb for real: a gzip of about 4 MB that decodes to 5.4 million images
/// (4.2 GB). Under a memory limit the load must be an error, not an abort of the
/// process. Run it under a limit (it is ignored by default: without one it just loads
/// 4.2 GB):
///
/// `ulimit -v 3000000; SHAPED_EXPECT_OOM=1 cargo test --release --test idx_memory -- --ignored`
#[test]
#[ignore = "needs a memory limit (ulimit -v) to mean anything"]
fn allocation_failure_is_an_error_under_a_memory_limit() {
    let dir = std::env::temp_dir().join(format!("shaped-idx-mem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bomb-real.idx.gz");
    let mut gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::best());
    gz.write_all(&[0, 0, 8, 3]).unwrap();
    for d in [5_400_000u32, 28, 28] {
        gz.write_all(&d.to_be_bytes()).unwrap();
    }
    let zeros = vec![0u8; 784 * 10_000];
    for _ in 0..540 {
        gz.write_all(&zeros).unwrap();
    }
    gz.finish().unwrap();
    println!("gzip of {} bytes", std::fs::metadata(&path).unwrap().len());
    let result = load_idx_images::<[u8; 784]>(&path).map(|v| v.len());
    println!("{result:?}");
    if std::env::var_os("SHAPED_EXPECT_OOM").is_some() {
        assert!(matches!(result, Err(IdxError::OutOfMemory { .. })), "{result:?}");
    }
}

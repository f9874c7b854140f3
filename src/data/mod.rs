//! Data: IDX files (the format of MNIST), plain or gzip-compressed; numpy's `.npy` files;
//! the conversions of chapter 2 (`to_categorical`, pixels to `[0, 1]`); flat data as
//! samples; a seeded train/test split.
//!
//! ```no_run
//! use shaped::data::{load_idx_images, load_idx_labels};
//! let images: Vec<[u8; 784]> = load_idx_images("data/mnist/train-images-idx3-ubyte.gz")?;
//! let labels: Vec<u8> = load_idx_labels("data/mnist/train-labels-idx1-ubyte.gz")?;
//! # Ok::<(), shaped::data::IdxError>(())
//! ```

mod idx;
mod npy;
mod preprocess;

pub use idx::{
    Encoding, Idx, IdxError, MAX_IDX_BYTES, decode_idx, decode_idx_samples, load_idx_images, load_idx_labels,
    load_idx_pair, parse_idx, read_idx,
};
pub use npy::{NpyElement, NpyError, decode_npy, load_npy};
pub use preprocess::{
    Label, SampleLengthError, SplitError, as_samples, normalize_images, normalize_pixels, to_categorical,
    to_classes, train_test_split,
};

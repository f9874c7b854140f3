//! Heap-backed tensors whose shape is a type.

mod dot;
mod fmt;
mod layout;
mod ops;
mod reduce;

pub use crate::shape::BroadcastTo;
pub use dot::Dot;
pub use layout::{Permute3, Permute4, Permute5};
pub use reduce::ReduceAxis;

use alloc::boxed::Box;

use crate::element::{Element, Scalar};
use crate::error::LengthError;
use crate::zeroed::zeroed_box;
use num_traits::One as _;

use crate::constraint::IndexArity;
use crate::shape::Shape;

/// A tensor of shape `S`, a nested array type such as `[[f32; 3]; 2]`.
///
/// The data lives on the heap and is created there: a `Tensor<[[f32; 512]; 784]>` (1.6 MB)
/// never passes through the stack, whatever the stack size. The aliases
/// [`Tensor0`] to [`Tensor5`] name tensors by rank and dims.
///
/// ```
/// use shaped::{Tensor, Tensor2};
/// let x = Tensor2::<f32, 2, 3>::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// assert_eq!(x.ndim(), 2);
/// assert_eq!(x.shape(), &[2, 3]);
/// assert_eq!(x.dtype(), "float32");
/// assert_eq!(x[[1, 2]], 6.0);
/// assert_eq!(x.to_string(), "[[1 2 3]\n [4 5 6]]");
/// ```
pub struct Tensor<S: Shape> {
    data: Box<S>,
}

/// A rank-0 tensor: one value.
pub type Tensor0<T> = Tensor<T>;
/// A vector of `A` elements.
pub type Tensor1<T, const A: usize> = Tensor<[T; A]>;
/// An `A x B` matrix.
pub type Tensor2<T, const A: usize, const B: usize> = Tensor<[[T; B]; A]>;
/// A rank-3 tensor of dims `(A, B, C)`.
pub type Tensor3<T, const A: usize, const B: usize, const C: usize> = Tensor<[[[T; C]; B]; A]>;
/// A rank-4 tensor of dims `(A, B, C, D)`.
pub type Tensor4<T, const A: usize, const B: usize, const C: usize, const D: usize> =
    Tensor<[[[[T; D]; C]; B]; A]>;
/// A rank-5 tensor of dims `(A, B, C, D, E)`.
pub type Tensor5<T, const A: usize, const B: usize, const C: usize, const D: usize, const E: usize> =
    Tensor<[[[[[T; E]; D]; C]; B]; A]>;

impl<S: Shape> Tensor<S> {
    /// Number of axes (numpy's `ndim`).
    pub const RANK: usize = S::RANK;
    /// Length of each axis, outermost first (numpy's `shape`).
    pub const DIMS: &'static [usize] = S::DIMS;
    /// Number of elements (numpy's `size`).
    pub const NUMEL: usize = S::NUMEL;

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        S::RANK
    }
    /// Length of each axis, outermost first.
    pub fn shape(&self) -> &'static [usize] {
        S::DIMS
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        S::NUMEL
    }
    /// Whether the tensor holds no element (one of its dims is 0).
    pub fn is_empty(&self) -> bool {
        S::NUMEL == 0
    }
    /// The element type, spelled as numpy does (`"float32"`).
    pub fn dtype(&self) -> &'static str {
        S::Elem::DTYPE
    }

    /// A tensor of zeros, allocated zeroed on the heap.
    ///
    /// ```
    /// # use shaped::Tensor2;
    /// let w = Tensor2::<f32, 784, 512>::zeros(); // 1.6 MB, never on the stack
    /// assert!(w.as_slice().iter().all(|&x| x == 0.0));
    /// ```
    pub fn zeros() -> Self {
        Tensor { data: zeroed_box() }
    }

    /// A tensor with every element set to `value`.
    pub fn filled(value: S::Elem) -> Self {
        let mut t = Self::zeros();
        t.as_mut_slice().fill(value);
        t
    }

    /// A tensor holding `array`. The array is moved to the heap: for large shapes prefer
    /// [`zeros`](Self::zeros), [`from_fn`](Self::from_fn) or [`from_flat`](Self::from_flat),
    /// which never build the data on the stack.
    pub fn from_array(array: S) -> Self {
        Tensor { data: Box::new(array) }
    }

    /// A tensor owning an already boxed array.
    pub fn from_boxed(data: Box<S>) -> Self {
        Tensor { data }
    }

    /// The boxed array behind the tensor.
    pub fn into_boxed(self) -> Box<S> {
        self.data
    }

    /// A tensor from its elements in row-major order.
    ///
    /// # Errors
    /// [`LengthError`] when `values.len()` differs from the shape's element count.
    ///
    /// ```
    /// # use shaped::Tensor2;
    /// let t = Tensor2::<i32, 2, 2>::from_flat(&[1, 2, 3, 4])?;
    /// assert_eq!(t.as_array(), &[[1, 2], [3, 4]]);
    /// # Ok::<(), shaped::LengthError>(())
    /// ```
    pub fn from_flat(values: &[S::Elem]) -> Result<Self, LengthError> {
        if values.len() != S::NUMEL {
            return Err(LengthError { dims: S::DIMS, expected: S::NUMEL, found: values.len() });
        }
        let mut t = Self::zeros();
        t.as_mut_slice().copy_from_slice(values);
        Ok(t)
    }

    /// A tensor whose element at each multi-index is `f(index)`; `index` has one entry
    /// per axis.
    ///
    /// ```
    /// # use shaped::Tensor2;
    /// let t = Tensor2::<usize, 2, 3>::from_fn(|i| 10 * i[0] + i[1]);
    /// assert_eq!(t.as_array(), &[[0, 1, 2], [10, 11, 12]]);
    /// ```
    pub fn from_fn(mut f: impl FnMut(&[usize]) -> S::Elem) -> Self {
        let mut t = Self::zeros();
        let mut index = [0usize; crate::shape::MAX_RANK];
        let rank = S::RANK;
        for x in t.as_mut_slice() {
            *x = f(&index[..rank]);
            // Advance the multi-index like an odometer.
            for axis in (0..rank).rev() {
                index[axis] += 1;
                if index[axis] < S::DIMS[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        t
    }

    /// The data as its nested array.
    pub fn as_array(&self) -> &S {
        &self.data
    }
    /// The data as its nested array, mutably.
    pub fn as_array_mut(&mut self) -> &mut S {
        &mut self.data
    }
    /// The elements in row-major order.
    pub fn as_slice(&self) -> &[S::Elem] {
        self.data.flat()
    }
    /// The elements in row-major order, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [S::Elem] {
        self.data.flat_mut()
    }
    /// An iterator over the elements in row-major order.
    pub fn iter(&self) -> core::slice::Iter<'_, S::Elem> {
        self.as_slice().iter()
    }

    /// The element at a multi-index with one entry per axis, or `None` when an entry is
    /// out of range.
    ///
    /// ```
    /// # use shaped::Tensor2;
    /// let t = Tensor2::<f32, 2, 3>::filled(1.5);
    /// assert_eq!(t.get([1, 2]), Some(&1.5));
    /// assert_eq!(t.get([2, 0]), None);
    /// ```
    pub fn get<const R: usize>(&self, index: [usize; R]) -> Option<&S::Elem>
    where
        S: IndexRank<R>,
    {
        flat_index::<S, R>(&index).map(|i| &self.as_slice()[i])
    }

    /// The element at a multi-index, mutably; `None` when an entry is out of range.
    pub fn get_mut<const R: usize>(&mut self, index: [usize; R]) -> Option<&mut S::Elem>
    where
        S: IndexRank<R>,
    {
        flat_index::<S, R>(&index).map(|i| &mut self.as_mut_slice()[i])
    }

    /// Applies `f` to every element, giving a tensor of the same shape.
    pub fn map(&self, mut f: impl FnMut(S::Elem) -> S::Elem) -> Self {
        let mut out = Self::zeros();
        for (o, &x) in out.as_mut_slice().iter_mut().zip(self.as_slice()) {
            *o = f(x);
        }
        out
    }

    /// Applies `f` to every element in place.
    pub fn map_inplace(&mut self, mut f: impl FnMut(S::Elem) -> S::Elem) {
        for x in self.as_mut_slice() {
            *x = f(*x);
        }
    }
}

impl<T: Element + Shape<Elem = T>> Tensor<T> {
    /// The value of a rank-0 tensor.
    pub fn value(&self) -> T {
        *self.data
    }
}

impl<S: Shape> Tensor<S>
where
    S::Elem: Scalar,
{
    /// A tensor of ones.
    pub fn ones() -> Self {
        Self::filled(S::Elem::one())
    }

    /// Elements drawn uniformly from `[low, high)`.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// # use shaped::Tensor1;
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let t = Tensor1::<f32, 100>::random_uniform(&mut rng, -1.0, 1.0);
    /// assert!(t.iter().all(|&x| (-1.0..1.0).contains(&x)));
    /// ```
    pub fn random_uniform<R: rand::Rng + ?Sized>(rng: &mut R, low: S::Elem, high: S::Elem) -> Self {
        let mut t = Self::zeros();
        crate::random::fill_uniform(rng, t.as_mut_slice(), low, high);
        t
    }

    /// Elements drawn from a normal distribution of the given mean and standard deviation.
    pub fn random_normal<R: rand::Rng + ?Sized>(rng: &mut R, mean: S::Elem, std_dev: S::Elem) -> Self {
        let mut t = Self::zeros();
        crate::random::fill_normal(rng, t.as_mut_slice(), mean, std_dev);
        t
    }
}

impl<S: Shape> Clone for Tensor<S> {
    /// Copies the data into a new heap allocation, never through the stack.
    fn clone(&self) -> Self {
        let mut t = Self::zeros();
        t.as_mut_slice().copy_from_slice(self.as_slice());
        t
    }
}

impl<S: Shape> PartialEq for Tensor<S> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<S: Shape> Default for Tensor<S> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<S: Shape> From<S> for Tensor<S> {
    fn from(array: S) -> Self {
        Self::from_array(array)
    }
}

impl<S: Shape> AsRef<[S::Elem]> for Tensor<S> {
    fn as_ref(&self) -> &[S::Elem] {
        self.as_slice()
    }
}

/// Index arity: a tensor of rank `R` is indexed by `[usize; R]`.
pub trait IndexRank<const R: usize>: Shape {}

impl<S: Shape, const R: usize> IndexRank<R> for S where S::Dims: IndexArity<R> {}

fn flat_index<S: Shape, const R: usize>(index: &[usize; R]) -> Option<usize> {
    let mut flat = 0;
    for (&i, &d) in index.iter().zip(S::DIMS) {
        if i >= d {
            return None;
        }
        flat = flat * d + i;
    }
    Some(flat)
}

impl<S: IndexRank<R>, const R: usize> core::ops::Index<[usize; R]> for Tensor<S> {
    type Output = S::Elem;
    /// # Panics
    /// When an index is out of range for its axis.
    fn index(&self, index: [usize; R]) -> &S::Elem {
        match self.get(index) {
            Some(x) => x,
            None => {
                panic!("index {:?} is out of range for shape {}", index, crate::shape::ShapeDisplay(S::DIMS))
            }
        }
    }
}

impl<S: IndexRank<R>, const R: usize> core::ops::IndexMut<[usize; R]> for Tensor<S> {
    /// # Panics
    /// When an index is out of range for its axis.
    fn index_mut(&mut self, index: [usize; R]) -> &mut S::Elem {
        match flat_index::<S, R>(&index) {
            Some(i) => &mut self.as_mut_slice()[i],
            None => {
                panic!("index {:?} is out of range for shape {}", index, crate::shape::ShapeDisplay(S::DIMS))
            }
        }
    }
}

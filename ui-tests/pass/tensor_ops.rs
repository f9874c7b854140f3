// Every rule's well-shaped counterpart compiles and runs.
use shaped::{Tensor, Tensor1, Tensor2, Tensor3};

fn main() {
    let x = Tensor2::<f32, 32, 10>::ones();
    let b = Tensor1::<f32, 10>::ones();
    let y = &x + &b;
    assert_eq!(y[[31, 9]], 2.0);
    let w = Tensor2::<f32, 10, 4>::ones();
    assert_eq!(y.dot(&w).shape(), &[32, 4]);
    let v = Tensor1::<f32, 4>::ones();
    assert_eq!(y.dot(&w).dot(&v)[[0]], 80.0);
    assert_eq!(b.dot(&w).shape(), &[4]);
    assert_eq!(b.dot(&b).value(), 10.0);
    assert_eq!(x.sum_axis::<1>().shape(), &[32]);
    assert_eq!(b.argmax_axis::<0>().value(), 0);
    let t = Tensor3::<f32, 2, 3, 4>::zeros();
    assert_eq!(t.permute3::<1, 2, 0>().shape(), &[3, 4, 2]);
    let r: Tensor<[[f32; 2]; 3]> = Tensor2::<f32, 2, 3>::zeros().reshape();
    assert_eq!(r.shape(), &[3, 2]);
    assert_eq!(Tensor2::<f32, 28, 28>::zeros().flatten::<784>().shape(), &[784]);
    assert_eq!(Tensor3::<u8, 60, 28, 28>::zeros().slice::<10, 50>().shape(), &[50, 28, 28]);
    // Scalars in the tensor's own type, integer tensors included.
    let i = Tensor2::<i32, 2, 2>::from_array([[1, 1], [1, 1]]);
    assert_eq!((&i + 1)[[0, 0]], 2);
    assert_eq!((Tensor1::<i64, 3>::from_array([1, 1, 1]) * 3)[[2]], 3);
    let mut f = Tensor1::<f64, 3>::ones() * 0.5;
    f /= 2.0;
    assert_eq!(f[[0]], 0.25);
    assert_eq!((&x * 2.0)[[0, 0]], 2.0);
    // Negative axes count from the end; a scalar tensor broadcasts to any shape.
    assert_eq!(x.sum_axis::<-1>().shape(), &[32]);
    assert_eq!(t.max_axis::<-2>().shape(), &[2, 4]);
    assert_eq!((&x - &Tensor::<f32>::from_array(1.0))[[0, 0]], 0.0);
    // A matrix times a vector in Keras's layout (a row of inputs times the kernel).
    let kernel = Tensor2::<f32, 784, 10>::zeros();
    assert_eq!(Tensor1::<f32, 784>::ones().dot(&kernel).shape(), &[10]);
    assert_eq!(kernel.dot(&Tensor1::<f32, 10>::ones()).shape(), &[784]);
}

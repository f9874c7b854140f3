//! [`network!`](crate::network): a network type written as Keras writes the model, the
//! computed dims filled in.

/// Declares a network type the way Keras declares the model: the input shape once, then
/// the layers with Keras's arguments; every output shape is computed.
///
/// ```
/// use shaped::nn::{Layers, Summary};
///
/// shaped::network! {
///     /// Chapter 5 of "Deep Learning with Python": the MNIST convnet.
///     pub type Convnet = (28, 28, 1) => [
///         Conv2D(32, 3, activation = "relu"),
///         MaxPooling2D(2),
///         Conv2D(64, 3, activation = "relu"),
///         MaxPooling2D(2),
///         Conv2D(64, 3, activation = "relu"),
///         Flatten,
///         Dense(64, activation = "relu"),
///         Dense(10, activation = "softmax"),
///     ];
/// }
/// assert_eq!(<Convnet as Layers<f32>>::PARAMS, 93_322);
/// assert!(Summary::<Convnet>::new().to_string().contains("max_pooling2d_1 (MaxPooling2D)"));
/// ```
///
/// The layers and their arguments (each keyword optional, in any order):
///
/// | layer | arguments |
/// |---|---|
/// | `Conv2D(filters, kernel_size)` | `strides = 1`, `padding = "valid"`, `activation = "linear"` |
/// | `MaxPooling2D(pool_size)`, `AveragePooling2D(pool_size)` | `strides = pool_size`, `padding = "valid"` |
/// | `GlobalAveragePooling2D`, `Flatten` | |
/// | `Dense(units)` | `activation = "linear"` |
/// | `Dropout(rate)` (or `rate = ..`) | in whole thousandths; the masks are seeded by `fit`'s `seed` |
///
/// A size or stride is a literal, a constant's name or a pair `(3, 3)`; an activation is
/// Keras's name (`"relu"`, `"softmax"`, `"sigmoid"`, `"tanh"`, `"linear"`) or a type
/// (`Relu`); a padding `"valid"` or `"same"`.
///
/// Mistakes are compile errors that `cargo check` reports: a window larger than its
/// input ("a window of 5 is larger than its input of 3"), a layer that cannot follow
/// the one before (a `Dense` right after a convolution names both shapes and the
/// missing `Flatten`). The macro writes a type of the layers below ([`Conv2D`],
/// [`Pooling2D`], [`Flatten`], [`Dense`], nested pairs) and a `const` item that checks
/// it.
///
/// [`Conv2D`]: crate::nn::Conv2D
/// [`Pooling2D`]: crate::nn::Pooling2D
/// [`Flatten`]: crate::nn::Flatten
/// [`Dense`]: crate::nn::Dense
#[macro_export]
macro_rules! network {
    ($(#[$meta:meta])* $vis:vis type $name:ident = ($($dim:expr),+ $(,)?) => [$($layers:tt)*] $(;)?) => {
        $(#[$meta])*
        $vis type $name = $crate::network!(@layers [$(($dim)),+] $($layers)*);
        const _: () = <$name as $crate::nn::Layers<f32>>::CHECK;
    };

    // A layer and the rest: `@layer [shape] Kind (args) [rest]` writes the layer's type
    // and calls `@then` with the type, its output shape and the rest.
    (@layers $shape:tt) => {
        ::core::compile_error!("`network!` needs at least one layer")
    };
    (@layers $shape:tt $kind:ident $(($($args:tt)*))? $(, $($rest:tt)*)?) => {
        $crate::network!(@layer $shape $kind ($($($args)*)?) [$($($rest)*)?])
    };
    (@then ($($ty:tt)*) $shape:tt []) => { $($ty)* };
    (@then ($($ty:tt)*) $shape:tt [$($rest:tt)+]) => {
        ($($ty)*, $crate::network!(@layers $shape $($rest)+))
    };

    (@layer $shape:tt Conv2D ($f:expr, $k:tt $(, $key:ident = $val:tt)* $(,)?) $rest:tt) => {
        $crate::network!(@conv $shape ($f) $k [1 "valid" "linear"] $rest $($key = $val)*)
    };
    (@layer $shape:tt MaxPooling2D ($k:tt $(, $key:ident = $val:tt)* $(,)?) $rest:tt) => {
        $crate::network!(@pool Max $shape $k [$k "valid"] $rest $($key = $val)*)
    };
    (@layer $shape:tt AveragePooling2D ($k:tt $(, $key:ident = $val:tt)* $(,)?) $rest:tt) => {
        $crate::network!(@pool Average $shape $k [$k "valid"] $rest $($key = $val)*)
    };
    (@layer [$h:tt, $w:tt, $c:tt] Flatten () $rest:tt) => {
        $crate::network!(@then ($crate::nn::Flatten<{ $h }, { $w }, { $c }, { $h * $w * $c }>) [($h * $w * $c)] $rest)
    };
    (@layer [$h:tt, $w:tt, $c:tt] GlobalAveragePooling2D () $rest:tt) => {
        $crate::network!(@then ($crate::nn::GlobalAveragePooling2D<{ $h }, { $w }, { $c }>) [$c] $rest)
    };
    (@layer $shape:tt Dropout (rate = $rate:expr $(,)?) $rest:tt) => {
        $crate::network!(@layer $shape Dropout ($rate) $rest)
    };
    (@layer [$n:tt] Dropout ($rate:expr $(,)?) $rest:tt) => {
        $crate::network!(@then
            ($crate::nn::Dropout<$crate::constraint::Dims1<{ $n }>, { $crate::nn::dropout_rate($rate) }>)
            [$n]
            $rest
        )
    };
    (@layer [$h:tt, $w:tt, $c:tt] Dropout ($rate:expr $(,)?) $rest:tt) => {
        $crate::network!(@then
            ($crate::nn::Dropout<$crate::constraint::Dims3<{ $h }, { $w }, { $c }>, { $crate::nn::dropout_rate($rate) }>)
            [$h, $w, $c]
            $rest
        )
    };
    (@layer [$($d:tt),+] Dense ($units:expr $(, activation = $a:tt)? $(,)?) $rest:tt) => {
        $crate::network!(@then
            ($crate::nn::Dense<{ 1 $(* $d)+ }, { $units }, $crate::network!(@activation $($a)?)>)
            [($units)]
            $rest
        )
    };
    (@layer $shape:tt $kind:ident ($($args:tt)*) $rest:tt) => {
        ::core::compile_error!(::core::concat!(
            "`network!` cannot read the layer `", ::core::stringify!($kind), "(", ::core::stringify!($($args)*),
            ")`: it knows Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dropout and Dense, with Keras's arguments"
        ))
    };

    // Conv2D's keywords, one at a time, into [strides padding activation].
    (@conv $shape:tt $f:tt $k:tt [$s:tt $p:tt $a:tt] $rest:tt strides = $v:tt $($kw:tt)*) => {
        $crate::network!(@conv $shape $f $k [$v $p $a] $rest $($kw)*)
    };
    (@conv $shape:tt $f:tt $k:tt [$s:tt $p:tt $a:tt] $rest:tt padding = $v:tt $($kw:tt)*) => {
        $crate::network!(@conv $shape $f $k [$s $v $a] $rest $($kw)*)
    };
    (@conv $shape:tt $f:tt $k:tt [$s:tt $p:tt $a:tt] $rest:tt activation = $v:tt $($kw:tt)*) => {
        $crate::network!(@conv $shape $f $k [$s $p $v] $rest $($kw)*)
    };
    (@conv [$h:tt, $w:tt, $c:tt] $f:tt $k:tt [$s:tt $p:tt $a:tt] $rest:tt) => {
        $crate::network!(@then
            ($crate::nn::Conv2D<
                { $h },
                { $w },
                { $c },
                { $f },
                { $crate::network!(@first $k) },
                { $crate::network!(@second $k) },
                { $crate::network!(@first $s) },
                { $crate::network!(@second $s) },
                { $crate::network!(@out $h, (@first $k), (@first $s), $p) },
                { $crate::network!(@out $w, (@second $k), (@second $s), $p) },
                $crate::network!(@activation $a),
                $crate::network!(@padding $p),
            >)
            [($crate::network!(@out $h, (@first $k), (@first $s), $p)), ($crate::network!(@out $w, (@second $k), (@second $s), $p)), $f]
            $rest
        )
    };
    (@conv $shape:tt $f:tt $k:tt $state:tt $rest:tt $key:ident $($kw:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "`Conv2D` in `network!` has no argument `", ::core::stringify!($key),
            "`: it takes filters, kernel_size, then strides, padding and activation as `name = value`"
        ))
    };
    (@conv $shape:tt $($x:tt)*) => {
        ::core::compile_error!("`Conv2D` in `network!` follows a layer whose outputs are not images (height, width, channels)")
    };

    // Pooling's keywords, into [strides padding].
    (@pool $op:ident $shape:tt $k:tt [$s:tt $p:tt] $rest:tt strides = $v:tt $($kw:tt)*) => {
        $crate::network!(@pool $op $shape $k [$v $p] $rest $($kw)*)
    };
    (@pool $op:ident $shape:tt $k:tt [$s:tt $p:tt] $rest:tt padding = $v:tt $($kw:tt)*) => {
        $crate::network!(@pool $op $shape $k [$s $v] $rest $($kw)*)
    };
    (@pool $op:ident [$h:tt, $w:tt, $c:tt] $k:tt [$s:tt $p:tt] $rest:tt) => {
        $crate::network!(@then
            ($crate::nn::Pooling2D<
                $crate::nn::$op,
                { $h },
                { $w },
                { $c },
                { $crate::network!(@first $k) },
                { $crate::network!(@second $k) },
                { $crate::network!(@first $s) },
                { $crate::network!(@second $s) },
                { $crate::network!(@out $h, (@first $k), (@first $s), $p) },
                { $crate::network!(@out $w, (@second $k), (@second $s), $p) },
                $crate::network!(@padding $p),
            >)
            [($crate::network!(@out $h, (@first $k), (@first $s), $p)), ($crate::network!(@out $w, (@second $k), (@second $s), $p)), $c]
            $rest
        )
    };
    (@pool $op:ident $shape:tt $k:tt $state:tt $rest:tt $key:ident $($kw:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "pooling in `network!` has no argument `", ::core::stringify!($key),
            "`: it takes pool_size, then strides and padding as `name = value`"
        ))
    };
    (@pool $op:ident $shape:tt $($x:tt)*) => {
        ::core::compile_error!("pooling in `network!` follows a layer whose outputs are not images (height, width, channels)")
    };

    // The output length along one axis: `@out input, (@first k), (@first s), padding`.
    (@out $n:tt, ($($k:tt)*), ($($s:tt)*), $p:tt) => {
        $crate::nn::conv_out($n, $crate::network!($($k)*), $crate::network!($($s)*), $crate::network!(@same $p))
    };

    // A size: `3` is (3, 3), `(3, 2)` is itself.
    (@first ($a:expr, $b:expr $(,)?)) => { $a };
    (@first $a:tt) => { $a };
    (@second ($a:expr, $b:expr $(,)?)) => { $b };
    (@second $a:tt) => { $a };

    (@same "same") => { true };
    (@same "valid") => { false };
    (@same $p:ident) => { <$crate::nn::$p as $crate::nn::Padding>::SAME };
    (@same $p:tt) => {
        ::core::compile_error!(::core::concat!("unknown padding ", ::core::stringify!($p), ": \"valid\" or \"same\""))
    };
    (@padding "same") => { $crate::nn::Same };
    (@padding "valid") => { $crate::nn::Valid };
    (@padding $p:ident) => { $crate::nn::$p };
    (@padding $p:tt) => { $crate::nn::Valid };

    (@activation) => { $crate::nn::Linear };
    (@activation "linear") => { $crate::nn::Linear };
    (@activation "relu") => { $crate::nn::Relu };
    (@activation "sigmoid") => { $crate::nn::Sigmoid };
    (@activation "softmax") => { $crate::nn::Softmax };
    (@activation "tanh") => { $crate::nn::Tanh };
    (@activation $a:literal) => {
        ::core::compile_error!(::core::concat!(
            "unknown activation ", ::core::stringify!($a), ": \"linear\", \"relu\", \"sigmoid\", \"softmax\" or \"tanh\""
        ))
    };
    (@activation $a:tt) => { $a };
}

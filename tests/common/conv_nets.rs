shaped::network! {
    /// Strided "same" convolution, max pooling, a valid one, Flatten, Dense.
    pub type Strided = (12, 10, 3) => [
        Conv2D(4, (3, 2), strides = (2, 1), padding = "same", activation = "tanh"),
        MaxPooling2D(2),
        Conv2D(5, 2, activation = "relu"),
        Flatten,
        Dense(3, activation = "softmax"),
    ];
}

shaped::network! {
    /// A linear convolution, "same" average pooling, global pooling, Dense.
    pub type Pooled = (9, 8, 2) => [
        Conv2D(3, 3),
        AveragePooling2D(2, padding = "same"),
        GlobalAveragePooling2D,
        Dense(2, activation = "sigmoid"),
    ];
}

//! Convolutional networks as Keras users write them: with `network!`, keyword
//! arguments in any order, named constants; and by hand.

use shaped::nn::{Conv2D, Dense, Flatten, Layers, MaxPooling2D, Relu, Sequential, Softmax, Summary};
use shaped::rand::{SeedableRng, rngs::StdRng};
use shaped::train::{CategoricalCrossentropy, RmsProp};

const SIDE: usize = 28;
const FILTERS: usize = 8;

shaped::network! {
    pub type Small = (SIDE, SIDE, 1) => [
        Conv2D(FILTERS, (3, 3), activation = Relu),
        MaxPooling2D((2, 2)),
        Conv2D(16, 3, padding = "same", strides = 2, activation = "relu"),
        AveragePooling2D(2, strides = 1, padding = "same"),
        Conv2D(4, (1, 1)),
        GlobalAveragePooling2D,
        Dense(10, activation = "softmax"),
    ];
}

// The DS-CNN's first layer: a (10, 4) kernel, strides 2, padding "same".
shaped::network! {
    type KeywordSpotting = (49, 10, 1) => [
        Conv2D(64, (10, 4), strides = (2, 2), padding = "same", activation = "relu"),
        Flatten,
        Dense(12, activation = "softmax"),
    ];
}

type ByHand = (
    Conv2D<28, 28, 1, 8, 3, 3, 1, 1, 26, 26, Relu>,
    MaxPooling2D<26, 26, 8, 2, 2, 2, 2, 13, 13>,
    Flatten<13, 13, 8, 1352>,
    Dense<1352, 10, Softmax>,
);

fn main() {
    assert_eq!(<KeywordSpotting as Layers<f32>>::PARAMS, 10 * 4 * 64 + 64 + 25 * 5 * 64 * 12 + 12);
    let table = Summary::<Small>::new().to_string();
    assert!(table.contains("(None, 7, 7, 16)"), "{table}");
    let mut model = Sequential::<Small>::new(&mut StdRng::seed_from_u64(1))
        .compile(RmsProp::default(), CategoricalCrossentropy, &[])
        .unwrap();
    let x = vec![[[[0.5f32; 1]; SIDE]; SIDE]; 4];
    let y = vec![[0.1f32; 10]; 4];
    model.fit(&x, &y, 1, 2).unwrap();
    let p = model.model().predict(&x[0]);
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    let by_hand = Sequential::<ByHand>::new(&mut StdRng::seed_from_u64(2));
    assert_eq!(by_hand.predict_batch(&x).len(), 4);
}

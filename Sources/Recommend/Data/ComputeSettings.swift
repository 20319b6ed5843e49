import DenseLinalg

/// The compute settings and SIMD policy of DenseLinalg, named here so that callers of
/// ``TrainingData`` need not import the lower layers.
public typealias ComputeSettings = DenseLinalg.ComputeSettings
public typealias SIMDPolicy = DenseLinalg.SIMDPolicy

@_exported import DenseLinalg

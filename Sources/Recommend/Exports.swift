@_exported import Factorization

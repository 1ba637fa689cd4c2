"""Mirror station: a gym mirror that coaches the hip hinge from a RealSense depth camera."""

__version__ = "0.1.0"

"""The lecture, executable (sections registered in physnn.lecture.report)."""

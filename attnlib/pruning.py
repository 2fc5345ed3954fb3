"""(being written for notebooks 20-24)"""

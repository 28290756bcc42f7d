"""The machinery of the Customer Thermometer connector: connector.py is its entry, and its
docstring maps these modules."""

"""Regenerate this labelled set from the demo district (deterministic): python tests/data/demo_district/generate.py"""

from pathlib import Path

from ops_console.demo.district import write_dataset

SEED = 20260401

if __name__ == "__main__":
    out = write_dataset(Path(__file__).resolve().parent, seed=SEED)
    print(f"wrote {out / 'stores.csv'} and {out / 'addresses.jsonl'}")

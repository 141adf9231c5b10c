//! Sales commission (提成, handbook document 17):
//! 提成 = (合同总金额 − 场租 × 50% − 税金 × 50%) × 提成点, the rate set per position
//! (客服人员 1%, 总经理助理 2%).

/// The highest rate: 100% in basis points.
pub const MAX_RATE_BP: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommissionError {
    #[error("amounts cannot be negative")]
    NegativeAmount,
    #[error("half the rent and half the tax come to more than the contract amount")]
    MoreThanContract,
    #[error("the rate is 0% to 100%")]
    InvalidRate,
}

/// The commission in cents on a contract, its venue rent and its tax (all in cents), at
/// `rate_bp` basis points (100 = 1%). Half of the rent and half of the tax come off the
/// contract amount; the rest is multiplied by the rate and rounded to the cent, halves
/// up. Worked out on twice the base so the halves stay exact.
pub fn commission(
    contract: i64,
    rent: i64,
    tax: i64,
    rate_bp: i64,
) -> Result<i64, CommissionError> {
    if contract < 0 || rent < 0 || tax < 0 {
        return Err(CommissionError::NegativeAmount);
    }
    if !(0..=MAX_RATE_BP).contains(&rate_bp) {
        return Err(CommissionError::InvalidRate);
    }
    let twice_base = i128::from(contract) * 2 - i128::from(rent) - i128::from(tax);
    if twice_base < 0 {
        return Err(CommissionError::MoreThanContract);
    }
    let den = 2 * 10_000_i128;
    let v = (twice_base * i128::from(rate_bp) * 2 + den) / (2 * den);
    Ok(v as i64)
}

import { classifyProblem, splitProblems } from '../../src/domain/import/problems';

const parts = (cell: string) => splitProblems(cell).map((p) => `${p.category}:${p.text}`);

describe('splitProblems', () => {
  test('splits on 、 ； ; ， line breaks and keeps the original text', () => {
    expect(parts('栏目更新不及时、空白栏目')).toEqual(['not_updated:栏目更新不及时', 'empty_column:空白栏目']);
    expect(parts('备案类型错误：应为服务号；严重表述错误')).toEqual(['filing:备案类型错误：应为服务号', 'wording_error:严重表述错误']);
    expect(parts('断更，原创内容较少')).toEqual(['not_updated:断更', 'other:原创内容较少']);
    expect(parts('多次断更;未提供有效互动功能')).toEqual(['not_updated:多次断更', 'poor_interaction:未提供有效互动功能']);
    expect(parts('空白栏目\n超过2个月未回应有效留言')).toEqual(['empty_column:空白栏目', 'poor_interaction:超过2个月未回应有效留言']);
  });

  test('splits numbered items', () => {
    expect(parts('1.多次断更 2.未提供有效互动功能')).toEqual(['not_updated:多次断更', 'poor_interaction:未提供有效互动功能']);
    expect(parts('（1）错别字；（2）未及时注销')).toEqual(['wording_error:错别字', 'closure:未及时注销']);
    expect(parts('①隐私泄露②密码安全')).toEqual(['security:隐私泄露', 'security:密码安全']);
  });

  test('numbering written with 、 or in brackets right after the previous item', () => {
    expect(parts('1、首页信息发布日期不实\n2、机构职能信息不准确')).toEqual(['lax_review:首页信息发布日期不实', 'lax_review:机构职能信息不准确']);
    expect(parts('1、多次断更2、未提供有效互动功能')).toEqual(['not_updated:多次断更', 'poor_interaction:未提供有效互动功能']);
    expect(parts('（1）网站存在安全漏洞（2）未发布政策解读')).toEqual(['security:网站存在安全漏洞', 'no_policy_interpretation:未发布政策解读']);
    expect(parts('一、空白栏目二、错别字')).toEqual(['empty_column:空白栏目', 'wording_error:错别字']);
    // Not numbering: counts, and a bracketed remark that is not a bare number.
    expect(parts('2个月未回应留言、3 个栏目未更新')).toEqual(['poor_interaction:2个月未回应留言', 'not_updated:3 个栏目未更新']);
    expect(parts('机构职能信息不准确(负责人姓名缺失)')).toEqual(['lax_review:机构职能信息不准确(负责人姓名缺失)']);
  });

  test('never splits inside brackets, and splits on whitespace after a closing bracket', () => {
    expect(parts('机构职能信息不准确的(负责人姓名缺失) 3 个栏目存在应更新未更新(在线访谈、调查征集、行政事业性收费)')).toEqual([
      'lax_review:机构职能信息不准确的(负责人姓名缺失)',
      'not_updated:3 个栏目存在应更新未更新(在线访谈、调查征集、行政事业性收费)',
    ]);
    expect(parts('1 个栏目存在应更新未更新(调查征集) 严重表述错误(将“民族”写为“名族”)')).toEqual([
      'not_updated:1 个栏目存在应更新未更新(调查征集)',
      'wording_error:严重表述错误(将“民族”写为“名族”)',
    ]);
  });

  test('a fragment that is no problem by itself stays with the problem after it', () => {
    expect(parts('县人民政府关于印发通城县本级政府投资项目管理办法的通知，未发布政策解读')).toEqual([
      'no_policy_interpretation:县人民政府关于印发通城县本级政府投资项目管理办法的通知，未发布政策解读',
    ]);
    expect(parts('账号已注销，未在全国政务新媒体信息报送系统注销')).toEqual(['closure:账号已注销，未在全国政务新媒体信息报送系统注销']);
  });

  test('what matches nothing is other, with its text; empty cells give nothing', () => {
    expect(parts('页面排版混乱')).toEqual(['other:页面排版混乱']);
    expect(parts('  ')).toEqual([]);
  });
});

describe('classifyProblem', () => {
  test.each([
    ['多个栏目长期未更新', 'not_updated'],
    ['检测时间点前1周无更新', 'not_updated'],
    ['更新频率较低', 'not_updated'],
    ['空白栏目', 'empty_column'],
    ['严重表述不规范', 'wording_error'],
    ['内容发布审核不严', 'lax_review'],
    ['信息发布日期不实', 'lax_review'],
    ['超过2个月未回应有效留言', 'poor_interaction'],
    ['缺有效互动渠道菜单功能', 'poor_interaction'],
    ['未发布政策解读', 'no_policy_interpretation'],
    ['备案信息不准确', 'filing'],
    ['未补报进报送系统', 'filing'],
    ['应注销未注销', 'closure'],
    ['注销后违规私开', 'closure'],
    ['未及时处理监测工单', 'work_order_timeout'],
    ['安全漏洞', 'security'],
    ['原创内容较少', 'other'],
  ])('%s → %s', (text, category) => {
    expect(classifyProblem(text)).toBe(category);
  });
});
